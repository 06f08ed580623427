"""model.summary(): a table of layers, output shapes and parameter counts."""
from lamina.engine.base_layer import format_shape
from lamina.structure import flatten


def _bytes(count_and_size):
    size = count_and_size
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _weights_size(weights):
    return sum(w.numel() * w.element_size() for w in weights)


def _node_in_model(layer, model):
    node_ids = {id(node) for node in model._graph.nodes}
    for node in layer._inbound_nodes:
        if id(node) in node_ids or not node.input_tensors and node.output_tensors[0] in model._graph.inputs:
            return node
    return layer._inbound_nodes[0]


def _output_shape(outputs):
    shapes = [format_shape(t.shape) for t in flatten(outputs)]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def print_summary(model, line_length=None, print_fn=None, show_trainable=False):
    graph = model._require_graph()
    print_fn = print_fn or print
    layers = model.layers
    connected = any(len(node.input_tensors) > 1 for node in graph.nodes)
    columns = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else [])
    columns += ["Trainable"] if show_trainable else []
    rows = []
    merged_models = getattr(model, "_merged_models", [])  # a Sequential starting with Keras 1's Merge([models])
    for layer in merged_models + layers:
        if layer in merged_models:
            outputs, sources = layer.output, [t.layer.name for t in layer.inputs]
        else:
            node = _node_in_model(layer, model)
            outputs, sources = node.outputs, [f"{t.layer.name}[{t.index}]" for t in node.input_tensors]
        row = [f"{layer.name} ({type(layer).__name__})", _output_shape(outputs), f"{layer.count_params():,}"]
        if connected:
            row.append(", ".join(sources) or "-")
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    widths = [max(len(column), *(len(row[i]) for row in rows)) + 2 for i, column in enumerate(columns)]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]))
    total_width = sum(widths)

    def line(cells):
        return "".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()

    weights = model.weights
    trainable = model.trainable_weights
    trainable_ids = {id(w) for w in trainable}
    non_trainable = [w for w in weights if id(w) not in trainable_ids]
    lines = [f'Model: "{model.name}"', "_" * total_width, line(columns), "=" * total_width]
    for index, row in enumerate(rows):
        lines.append(line(row))
        lines.append("_" * total_width if index < len(rows) - 1 else "=" * total_width)
    total = sum(w.numel() for w in weights)
    trainable_count = sum(w.numel() for w in trainable)
    lines += [
        f"Total params: {total:,} ({_bytes(_weights_size(weights))})",
        f"Trainable params: {trainable_count:,} ({_bytes(_weights_size(trainable))})",
        f"Non-trainable params: {total - trainable_count:,} ({_bytes(_weights_size(non_trainable))})",
        "_" * total_width,
    ]
    for text in lines:
        print_fn(text)
