"""Pretrained ConvNets as lamina models: torchvision's architectures and ImageNet weights, Keras's API and names.

Example:
    >>> from lamina.applications import ResNet50
    >>> base = ResNet50(weights="imagenet", include_top=False, pooling="avg")
    >>> base.summary()
"""
from lamina.applications.bridges import from_timm, from_torchvision
from lamina.applications.convnext import ConvNeXtBase, ConvNeXtSmall, ConvNeXtTiny
from lamina.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from lamina.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                                               EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from lamina.applications.imagenet import decode_predictions, preprocess_input
from lamina.applications.inception_v3 import InceptionV3
from lamina.applications.mobilenet_v2 import MobileNetV2
from lamina.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from lamina.applications.resnet import ResNet18, ResNet34, ResNet50, ResNet101, ResNet152
from lamina.applications.vgg import VGG16, VGG19

__all__ = ["ConvNeXtBase", "ConvNeXtSmall", "ConvNeXtTiny", "DenseNet121", "DenseNet169", "DenseNet201",
           "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
           "EfficientNetB6", "EfficientNetB7",
           "InceptionV3", "MobileNetV2", "MobileNetV3Large", "MobileNetV3Small", "ResNet101", "ResNet152", "ResNet18",
           "ResNet34", "ResNet50", "VGG16", "VGG19", "decode_predictions", "from_timm", "from_torchvision",
           "preprocess_input"]
