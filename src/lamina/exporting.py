"""A trained model leaves lamina for serving: ONNX (torch.onnx) or a torch.export program (.pt2), with a dynamic
batch axis, in inference mode (dropout off, batch normalization on its moving statistics).

The model is traced on an example batch made from its Input shapes (zeros; int64 for integer inputs), or on the
`example` you give when an Input has other unknown sizes. String inputs (TextVectorization inside the model)
cannot be exported: export the model from the vectorizer's output on.
"""
import contextlib
import os
import tempfile
import warnings

import numpy as np
import torch

from lamina.files import atomic_write

FORMATS = {".onnx": "onnx", ".pt2": "torch_export"}


class _Inference(torch.nn.Module):
    """The model's forward pass in inference mode, one tensor per input, a tuple of outputs."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *inputs):
        outputs = self.model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)
        return tuple(outputs) if isinstance(outputs, (list, tuple)) else (outputs,)


def example_inputs(model, batch_size=2):
    """Zeros shaped as each of the model's Inputs with `batch_size` rows (int64 for integer Inputs)."""
    examples = []
    for tensor in model.inputs:
        dtype = str(getattr(tensor, "dtype", "float32"))
        if "string" in dtype:
            raise ValueError(f"export: the Input '{tensor.name}' takes strings, which ONNX and torch.export cannot "
                             f"carry; export a model that starts after the TextVectorization layer (its ids).")
        shape = tuple(tensor.shape[1:])
        if any(size is None for size in shape):
            raise ValueError(f"export: the Input '{tensor.name}' has unknown sizes {shape}; pass example= with "
                             f"arrays of the sizes to export.")
        kind = torch.int64 if "int" in dtype else torch.float32
        examples.append(torch.zeros((batch_size, *shape), dtype=kind))
    return examples


def export_model(model, filepath, format=None, example=None, verbose=False):
    """Writes `model` as ONNX (format 'onnx', or a .onnx path) or a torch.export program ('torch_export', .pt2),
    with the batch axis dynamic; returns the path."""
    filepath = os.fspath(filepath)
    format = format or FORMATS.get(os.path.splitext(filepath)[1].lower())
    if format not in FORMATS.values():
        raise ValueError(f"export: give a path ending in .onnx or .pt2, or format='onnx' or 'torch_export'; "
                         f"received {filepath!r} with format={format!r}.")
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write '{filepath}': the folder '{folder}' does not exist. Create it first.")
    if example is None:
        inputs = example_inputs(model)
    else:
        inputs = [torch.as_tensor(np.asarray(item)) for item in (example if isinstance(example, (list, tuple))
                                                                 else [example])]
    device = next(model.parameters(), torch.zeros(0)).device
    inputs = [item.to(device) for item in inputs]
    was_training = model.training
    module = _Inference(model).eval()
    try:
        with warnings.catch_warnings():  # torch's own, about its export internals, not about the model
            for message in ("_check_is_size will be removed", "No complete tensor found",
                            "The .grad attribute of a Tensor"):
                warnings.filterwarnings("ignore", message=message)
            data = _onnx(module, inputs, verbose) if format == "onnx" else _program(module, inputs)
    except ImportError as error:
        raise ImportError(f"export: ONNX export needs the onnx and onnxscript packages ({error}); install them "
                          f"with pip install 'lamina[export]'.") from None
    finally:
        model.train(was_training)
    atomic_write(filepath, data)
    return filepath


def _batch_dimension():
    return torch.export.Dim("batch", min=1, max=2 ** 20)


def _program(module, inputs):
    batch = _batch_dimension()
    program = torch.export.export(module, tuple(inputs), dynamic_shapes=(tuple({0: batch} for _ in inputs),))
    with _temporary_path(".pt2") as path:
        torch.export.save(program, path)
        with open(path, "rb") as file:
            return file.read()


def _onnx(module, inputs, verbose):
    """ONNX through torch.export (torch.onnx's dynamo exporter), then optimized by onnxscript."""
    names = [f"input_{index}" for index in range(len(inputs))]
    with torch.no_grad():
        outputs = module(*inputs)
    batch = _batch_dimension()
    with _temporary_path(".onnx") as path:
        torch.onnx.export(module, tuple(inputs), path, input_names=names,
                          output_names=[f"output_{index}" for index in range(len(outputs))],
                          dynamic_shapes=(tuple({0: batch} for _ in inputs),), dynamo=True, external_data=False,
                          verbose=verbose)
        with open(path, "rb") as file:
            return file.read()


@contextlib.contextmanager
def _temporary_path(suffix):
    with tempfile.TemporaryDirectory() as folder:
        yield os.path.join(folder, f"model{suffix}")

