"""plot_model: a drawing of a model's layer graph, rendered by Graphviz's `dot` program.

The graph is written in Graphviz's DOT language by lamina (no pydot needed); Graphviz draws it as PNG, SVG, PDF...
Writing to a `.dot` file needs no Graphviz at all.
"""
import os
import shutil
import subprocess

from lamina.engine.input_layer import InputLayer
from lamina.files import atomic_write

GRAPHVIZ_HELP = (
    "plot_model needs Graphviz's `dot` program to draw images: install Graphviz (`apt-get install graphviz` on "
    "Debian/Ubuntu, `brew install graphviz` on macOS, `conda install graphviz`, or see "
    "https://graphviz.org/download/) and make sure `dot` is on the PATH. Without it, save the graph source with "
    "plot_model(model, to_file='model.dot')."
)


class DotGraph:
    """A graph in the DOT language, with the pydot methods Keras code calls: to_string, create and write."""

    def __init__(self, source):
        self.source = source

    def to_string(self):
        return self.source

    def create(self, prog="dot", format="png"):
        """The graph drawn by Graphviz's `prog` in `format` ('png', 'svg', 'pdf', ...), as bytes."""
        program = shutil.which(prog)
        if program is None:
            raise ImportError(GRAPHVIZ_HELP)
        completed = subprocess.run([program, f"-T{format}"], input=self.source.encode(), capture_output=True,
                                   check=False)
        if completed.returncode != 0:
            raise ValueError(f"Graphviz's {prog} could not draw the model as '{format}': "
                             f"{completed.stderr.decode(errors='replace').strip()}")
        return completed.stdout

    def write(self, path, prog="dot", format="raw"):
        """Writes the DOT source (format 'raw' or 'dot') or the drawing in `format` to `path`."""
        atomic_write(path, self.source.encode() if format in ("raw", "dot") else self.create(prog, format))


def model_to_dot(model, show_shapes=False, show_layer_names=True, rankdir="TB", dpi=96):
    """The model's layer graph as a DotGraph: one box per layer, one arrow per connection.

    Args:
        model: a built Sequential or functional model.
        show_shapes: add each layer's output shape to its box.
        show_layer_names: start each box with the layer's name.
        rankdir: 'TB' (top to bottom) or 'LR' (left to right).
        dpi: resolution of bitmap drawings.
    """
    graph = model._require_graph()
    lines = [f"digraph {_quote(model.name)} {{", f"  graph [rankdir={rankdir}, dpi={dpi}];",
             "  node [shape=record, fontname=Helvetica];"]
    for layer in graph.layers:
        label = _escape(f"{layer.name}: {type(layer).__name__}" if show_layer_names else type(layer).__name__)
        if show_shapes:
            shape = layer.output.shape if not isinstance(layer, InputLayer) else layer._batch_input_shape
            label = f"{{{label}|{_escape(_shape_text(shape))}}}"
        lines.append(f"  {_quote(layer.name)} [label={_quote(label)}];")
    for node in graph.nodes:
        for tensor in node.input_tensors:
            lines.append(f"  {_quote(tensor.layer.name)} -> {_quote(node.layer.name)};")
    lines.append("}")
    return DotGraph("\n".join(lines) + "\n")


def plot_model(model, to_file="model.png", show_shapes=False, show_layer_names=True, rankdir="TB", dpi=96):
    """Draws the model's layer graph to `to_file`; the extension picks the format (.png, .svg, .pdf, .dot).

    Example:
        >>> plot_model(model, to_file="model.png", show_shapes=True)
    """
    dot = model_to_dot(model, show_shapes=show_shapes, show_layer_names=show_layer_names, rankdir=rankdir, dpi=dpi)
    extension = os.path.splitext(str(to_file))[1].lstrip(".").lower() or "png"
    dot.write(to_file, format="raw" if extension in ("dot", "gv") else extension)
    return dot


def _shape_text(shape):
    return "(" + ", ".join("None" if size is None else str(size) for size in shape) + ")"


def _escape(text):
    """Text with the characters that structure record labels escaped."""
    for character in "\\{}|<>":
        text = text.replace(character, "\\" + character)
    return text


def _quote(text):
    return '"' + str(text).replace('"', '\\"') + '"'
