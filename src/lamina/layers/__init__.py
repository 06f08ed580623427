"""Layers, with Keras 3 names (and Keras 1 aliases where Keras 1 code needs them)."""
from lamina.engine.base_layer import InputSpec, Layer
from lamina.engine.input_layer import Input, InputLayer
from lamina.engine.lambda_layer import Lambda
from lamina.engine.symbolic import SymbolicTensor
from lamina.layers.audio_augmentation import FrequencyMasking, RandomGain, RandomTimeShift, TimeMasking
from lamina.layers.conv import (
    AtrousConvolution2D,
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
    DepthwiseConv2D,
    SeparableConv2D,
    SeparableConvolution2D,
)
from lamina.layers.core import Activation, Dense, Dropout, Flatten, TimeDistributedDense
from lamina.layers.embedding import Embedding
from lamina.layers.masking import Masking
from lamina.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Merge,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    merge,
    minimum,
    multiply,
    subtract,
)
from lamina.layers.normalization import BatchNormalization, LayerNormalization
from lamina.layers.preprocessing import Normalization, Rescaling
from lamina.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from lamina.layers.recurrent import GRU, LSTM, SimpleRNN
from lamina.layers.regularization import (
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from lamina.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from lamina.layers.spectrogram import MFCC, MelSpectrogram, Spectrogram
from lamina.layers.text_vectorization import TextVectorization
from lamina.layers.torch_module import TorchModule, TorchModuleWrapper
from lamina.layers.wrappers import Bidirectional, TimeDistributed

__all__ = [
    "Activation", "Add", "AtrousConvolution2D", "Average", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "AvgPool1D", "AvgPool2D", "AvgPool3D", "BatchNormalization", "Bidirectional", "Concatenate", "Conv1D", "Conv2D",
    "Conv2DTranspose", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D", "Cropping1D", "Cropping2D",
    "Dense", "DepthwiseConv2D", "Dot", "Dropout", "Embedding", "Flatten", "FrequencyMasking", "GRU",
    "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "Input", "InputLayer", "InputSpec", "LSTM",
    "Lambda", "Layer", "LayerNormalization", "MFCC", "Masking", "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D",
    "MaxPooling2D", "MaxPooling3D", "Maximum", "MelSpectrogram", "Merge", "Minimum", "Multiply", "Normalization",
    "Permute", "RandomGain", "RandomTimeShift", "RepeatVector", "Rescaling", "Reshape", "SeparableConv2D",
    "SeparableConvolution2D", "SimpleRNN", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "Spectrogram",
    "Subtract", "SymbolicTensor", "TextVectorization", "TimeDistributed", "TimeDistributedDense", "TimeMasking",
    "TorchModule", "TorchModuleWrapper", "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "add",
    "average", "concatenate", "dot", "maximum", "merge", "minimum", "multiply", "subtract",
]
