"""A functional model's architecture as JSON-able config, and back: no code is executed to rebuild it.

The config lists the layers' configs, then the nodes in execution order; a tensor is referenced as
[node position, output index].
"""
from lamina.engine.base_layer import is_symbolic
from lamina.engine.input_layer import InputLayer
from lamina.engine.serialization import deserialize_layer, serialize_layer
from lamina.structure import flatten, map_structure

_TENSOR = "__tensor__"


def functional_config(model):
    graph = model._graph
    positions = {}
    nodes = []
    input_nodes = [tensor.node for tensor in graph.inputs]
    for node in input_nodes + list(graph.nodes):
        positions[id(node)] = len(nodes)

        def reference(value):
            if is_symbolic(value):
                return {_TENSOR: [positions[id(value.node)], value.index]}
            return value

        nodes.append({"layer": node.layer.name, "args": map_structure(reference, list(node.args)),
                      "kwargs": {key: map_structure(reference, value) for key, value in node.kwargs.items()}})

    def output_reference(tensor):
        return {_TENSOR: [positions[id(tensor.node)], tensor.index]}

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": [serialize_layer(layer) for layer in graph.layers],
        "nodes": nodes,
        "inputs": map_structure(output_reference, graph.nested_inputs),
        "outputs": map_structure(output_reference, graph.nested_outputs),
    }


def functional_from_config(cls, config, custom_objects=None):
    layers = {}
    for spec in config["layers"]:
        layer = deserialize_layer(spec, custom_objects)
        layers[layer.name] = layer
    produced = []
    for node in config["nodes"]:
        layer = layers[node["layer"]]
        if isinstance(layer, InputLayer):
            produced.append([layer.output])
            continue

        args = _resolve_references(node["args"], produced)
        kwargs = _resolve_references(node["kwargs"], produced)
        outputs = layer(*args, **kwargs)
        produced.append(flatten(outputs))

    inputs = _resolve_references(config["inputs"], produced)
    outputs = _resolve_references(config["outputs"], produced)
    model = cls(inputs=inputs, outputs=outputs, name=config["name"])
    if not config.get("trainable", True):  # setting True would unfreeze the layers restored as frozen
        model.trainable = False
    return model


def _resolve_references(structure, produced):
    """The structure with each {'__tensor__': [position, index]} replaced by that symbolic tensor."""
    if isinstance(structure, dict):
        if _TENSOR in structure:
            position, index = structure[_TENSOR]
            return produced[position][index]
        return {key: _resolve_references(value, produced) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_resolve_references(value, produced) for value in structure]
    return structure
