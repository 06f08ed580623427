"""Keras 1's `keras.layers.convolutional` import path: the convolution layers, and the pooling, padding,
cropping and upsampling layers Keras 1 code imports from it."""
from lamina.layers.conv import (
    AtrousConvolution2D, Conv1D, Conv2D, Conv2DTranspose, Conv3D, Convolution1D, Convolution2D, Convolution3D,
    DepthwiseConv2D, SeparableConv2D, SeparableConvolution2D,
)
from lamina.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
)
from lamina.layers.reshaping import Cropping1D, Cropping2D, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D

__all__ = [
    "AtrousConvolution2D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "Conv1D", "Conv2D",
    "Conv2DTranspose", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D", "Cropping1D", "Cropping2D",
    "DepthwiseConv2D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "SeparableConv2D", "SeparableConvolution2D",
    "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D",
]
