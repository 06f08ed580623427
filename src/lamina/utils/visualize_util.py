"""Keras 1's `keras.utils.visualize_util`: plot(model, to_file='model.png') is plot_model."""
from lamina.utils.plot import model_to_dot, plot_model

plot = plot_model

__all__ = ["model_to_dot", "plot"]
