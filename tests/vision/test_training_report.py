"""The report folder's Grad-CAM layer: the last convolution whose maps Grad-CAM can place."""
import torch

from lamina.layers import Conv2D, Dense, GlobalAveragePooling2D, Input
from lamina.models import Model
from lamina.vision.training_report import grad_cam_layer


def test_the_last_convolution_with_maps_of_seven_pixels_or_more_is_chosen():
    inputs = Input((3, None, None))
    x = Conv2D(4, 3, padding="same", name="conv_16")(inputs)          # 16 x 16
    x = Conv2D(4, 3, strides=2, padding="same", name="conv_8")(x)     # 8 x 8
    x = Conv2D(4, 3, strides=2, padding="same", name="conv_4")(x)  # 4 x 4
    model = Model(inputs, Dense(2, activation="softmax")(GlobalAveragePooling2D()(x)))
    assert grad_cam_layer(model, torch.rand(1, 3, 16, 16)) == "conv_8"
    assert grad_cam_layer(model, torch.rand(1, 3, 8, 8)) == "conv_16"  # every map under 7: the first layer
    assert grad_cam_layer(model, torch.rand(1, 3, 64, 64)) == "conv_4"
