"""Keras 1 import paths lead to the same objects as lamina's own."""
import lamina.layers
from lamina import losses, objectives
from lamina.engine import input_layer, topology
from lamina.layers import convolutional, embeddings
from lamina.utils import plot_model, visualize_util


def test_keras1_module_paths_reexport_lamina_objects():
    for module in (convolutional, embeddings, topology):
        for name in module.__all__:
            if name not in ("InputLayer", "get_source_inputs"):
                assert getattr(module, name) is getattr(lamina.layers, name), (module.__name__, name)
    assert topology.InputLayer is lamina.layers.InputLayer
    assert topology.get_source_inputs is input_layer.get_source_inputs
    assert convolutional.Convolution2D(8, 3, 3).kernel_size == (3, 3)


def test_objectives_are_the_loss_functions_under_keras1_names():
    for name in objectives.__all__:
        expected = losses.cosine_similarity if name == "cosine" else getattr(losses, name)
        assert getattr(objectives, name) is expected, name
    assert visualize_util.plot is plot_model
