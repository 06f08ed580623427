"""ConvNeXt Tiny, Small and Base (Liu et al., 2022): torchvision's architecture and weights, Keras's layer names.

Each block: a 7x7 depthwise convolution, LayerNormalization over the channels, a 4x wider pointwise layer, GELU,
a pointwise layer back, `LayerScale`, stochastic depth (per-sample dropout) and the residual sum. The pointwise
layers are Dense layers on channels-last features, as torchvision's Linear layers (channels_first models permute
the features there and back): their outputs equal torchvision's bit for bit (1x1 convolutions: within 1e-6), at
the same speed (ConvNeXtTiny, batch 8 at 224x224, 2 CPU threads: 0.38 s either way, torchvision 0.33 s).
"""
from lamina import initializers
from lamina.applications import imagenet
from lamina.applications.building import Application, Checkpoint, build, channel_axis
from lamina.engine.base_layer import Layer
from lamina.layers import (Activation, Add, Conv2D, Dense, DepthwiseConv2D, Dropout, GlobalAveragePooling2D,
                           LayerNormalization, Permute)

# name: (blocks per stage, channels per stage, torchvision's stochastic depth probability, resize before the crop)
CONFIGS = {"convnext_tiny": ((3, 3, 9, 3), (96, 192, 384, 768), 0.1, 236),
           "convnext_small": ((3, 3, 27, 3), (96, 192, 384, 768), 0.4, 230),
           "convnext_base": ((3, 3, 27, 3), (128, 256, 512, 1024), 0.5, 232)}
TRANSFORMS = {name: {**imagenet.STANDARD, "resize": resize} for name, (*_, resize) in CONFIGS.items()}
EPSILON = 1e-6


class LayerScale(Layer):
    """Multiplies each channel by its own trainable factor: ConvNeXt's layer scale (Touvron et al., 2021).

    Args:
        init_values: the factors' initial value (ConvNeXt's 1e-6).
        axis: the channel axis: 1 (channels_first) or -1 (channels_last).

    Weight: `gamma`, one factor per channel. Input and output shape: any, unchanged.

    Example:
        >>> x = LayerScale(1e-6, axis=1)(x)  # (batch, channels, rows, cols)
    """

    def __init__(self, init_values=1e-6, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.init_values = float(init_values)
        self.axis = int(axis)

    def build(self, input_shape):
        self.feature_axis = self.axis % len(input_shape)
        self.gamma = self.add_weight("gamma", (input_shape[self.feature_axis],),
                                     initializers.Constant(self.init_values))

    def call(self, inputs):
        return inputs * self._factors(inputs.ndim)

    def in_place_call(self, symbolic_input):
        """Scales its input in place (for a model's inference pass, when no one else reads the input)."""
        return lambda inputs: inputs.mul_(self._factors(inputs.ndim))

    def _factors(self, ndim):
        shape = [1] * ndim
        shape[self.feature_axis] = -1
        return self.gamma.view(shape)

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "axis": self.axis}


def _block(x, channels, rate, name, module, data_format, sources):
    """One CNBlock; `module` is its torchvision name (features.<stage>.<block>)."""
    y = DepthwiseConv2D(7, padding="same", data_format=data_format,
                        name=sources.add(f"{name}_depthwise_conv", f"{module}.block.0"))(x)
    if data_format == "channels_first":  # the pointwise layers are Dense layers on channels-last features
        y = Permute((2, 3, 1), name=f"{name}_to_channels_last")(y)
    y = LayerNormalization(epsilon=EPSILON, name=sources.add(f"{name}_layernorm", f"{module}.block.2"))(y)
    y = Dense(4 * channels, name=sources.add(f"{name}_pointwise_conv_1", f"{module}.block.3"))(y)
    y = Activation("gelu", name=f"{name}_gelu")(y)
    y = Dense(channels, name=sources.add(f"{name}_pointwise_conv_2", f"{module}.block.5"))(y)
    if data_format == "channels_first":
        y = Permute((3, 1, 2), name=f"{name}_to_channels_first")(y)
    y = LayerScale(axis=channel_axis(data_format),
                   name=sources.add(f"{name}_layer_scale", f"{module}.layer_scale", _layer_scale))(y)
    y = Dropout(rate, noise_shape=(None, 1, 1, 1), name=f"{name}_stochastic_depth")(y)
    return Add(name=f"{name}_add")([x, y])


def _layer_scale(attribute, tensor):
    """torchvision's layer scale (channels, 1, 1) as LayerScale's gamma (channels,)."""
    return tensor.reshape(-1)


def _base(name):
    depths, widths, depth_probability, _ = CONFIGS[name]
    last_block = sum(depths) - 1

    def base(x, data_format, sources):
        axis = channel_axis(data_format)
        x = Conv2D(widths[0], 4, strides=4, data_format=data_format,
                   name=sources.add(f"{name}_stem_conv", "features.0.0"))(x)
        x = LayerNormalization(axis=axis, epsilon=EPSILON,
                               name=sources.add(f"{name}_stem_layernorm", "features.0.1"))(x)
        index = 0  # the block's position in the whole network, which sets its stochastic depth probability
        for stage, (blocks, channels) in enumerate(zip(depths, widths)):
            if stage:  # torchvision's features.<2 stage>: LayerNorm2d and a 2x2 stride-2 convolution
                x = LayerNormalization(axis=axis, epsilon=EPSILON, name=sources.add(
                    f"{name}_downsampling_layernorm_{stage - 1}", f"features.{2 * stage}.0"))(x)
                x = Conv2D(channels, 2, strides=2, data_format=data_format, name=sources.add(
                    f"{name}_downsampling_conv_{stage - 1}", f"features.{2 * stage}.1"))(x)
            for block in range(blocks):
                x = _block(x, channels, depth_probability * index / last_block, f"{name}_stage_{stage}_block_{block}",
                           f"features.{2 * stage + 1}.{block}", data_format, sources)
                index += 1
        return x

    return base


def _top(name):
    def top(x, classes, classifier_activation, data_format, sources):
        x = GlobalAveragePooling2D(data_format=data_format, name=f"{name}_head_gap")(x)
        x = LayerNormalization(epsilon=EPSILON, name=sources.add(f"{name}_head_layernorm", "classifier.0"))(x)
        return Dense(classes, activation=classifier_activation,
                     name=sources.add(f"{name}_head_dense", "classifier.2"))(x)

    return top


def _checkpoint_keys(state):
    """torchvision's layer scale is a parameter of the block (`...layer_scale`); sources name it `...weight`."""
    return {f"{key}.weight" if key.endswith(".layer_scale") else key: value for key, value in state.items()}


def _application(name, checkpoint):
    return Application(name, _base(name), _top(name), default_size=224, min_size=32,
                       checkpoint=Checkpoint.from_url(f"https://download.pytorch.org/models/{checkpoint}"),
                       rename=_checkpoint_keys)


CONVNEXT_TINY_APPLICATION = _application("convnext_tiny", "convnext_tiny-983f1562.pth")
CONVNEXT_SMALL_APPLICATION = _application("convnext_small", "convnext_small-0c510722.pth")
CONVNEXT_BASE_APPLICATION = _application("convnext_base", "convnext_base-6075fbad.pth")


def ConvNeXtTiny(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                 classes=1000, classifier_activation="softmax"):
    """ConvNeXt-T with torchvision's ImageNet weights (28,589,128 parameters), as a lamina functional model.

    Keras's arguments (see VGG16). Unlike Keras's ConvNeXt the model has no preprocessing layer: give it
    `preprocess_input`'s output (torchvision's transform, ImageNet mean and std), as for the other models. The
    top is torchvision's head: global average pooling, LayerNormalization, Dense (`{name}_head_dense`); without
    it the output is the last block's (Keras adds a LayerNormalization after its `pooling`; torchvision's
    features have none).
    torchvision's stochastic depth (0.1 for the last block, less for earlier ones) drops whole residual
    branches in training (`Dropout` with noise_shape (None, 1, 1, 1)).

    Example:
        >>> model = ConvNeXtTiny(weights="imagenet")
        >>> features = Model(model.input, model.get_layer("convnext_tiny_stage_2_block_8_add").output)
    """
    return build(CONVNEXT_TINY_APPLICATION, locals())


def ConvNeXtSmall(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                  classes=1000, classifier_activation="softmax"):
    """ConvNeXt-S with torchvision's ImageNet weights (50,223,688 parameters); arguments as ConvNeXtTiny."""
    return build(CONVNEXT_SMALL_APPLICATION, locals())


def ConvNeXtBase(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                 classes=1000, classifier_activation="softmax"):
    """ConvNeXt-B with torchvision's ImageNet weights (88,591,464 parameters); arguments as ConvNeXtTiny."""
    return build(CONVNEXT_BASE_APPLICATION, locals())


def preprocess_input(x, data_format=None, mode=None, model="convnext_tiny"):
    """torchvision's ConvNeXt preprocessing (resize 236 for 'convnext_tiny', 230 'convnext_small', 232
    'convnext_base'; crop 224; bilinear; ImageNet mean/std), or a Keras mode (see lamina.applications.imagenet)."""
    return imagenet.preprocess_input(x, data_format, mode, imagenet.transform_of(model, TRANSFORMS))


decode_predictions = imagenet.decode_predictions
