"""TorchModule: any torch.nn.Module as a lamina layer."""
from torch import nn

from lamina.engine.base_layer import Layer
from lamina.engine.layout import IDENTITY
from lamina.serialization import user_object


class TorchModule(Layer):
    """Wraps any torch.nn.Module as a lamina layer, so it can be used in Sequential and functional models.

    Its parameters are trainable weights and its floating-point buffers non-trainable weights, in the module's
    own layouts. A model holding one saves its weights; to load it pass custom_objects={'<module class name>':
    factory}, where factory() returns a new module of the same architecture.

    Training mode: the module's own mode (what nn.BatchNorm2d, nn.Dropout and the like read) is
    `layer.training and layer.trainable`. As PyTorch's parents do for their children, `layer.train()` and
    `layer.eval()` (which fit, evaluate and predict call on the model) set it, so a frozen layer
    (trainable=False) keeps its module in eval mode: in fit() its batch norms use and keep their running
    statistics, as a frozen Keras BatchNormalization does, and its dropouts are off. Freezing puts the module in
    eval mode at once and unfreezing puts it back in the layer's mode; this is a lasting switch, not one undone
    after each call, because it is what PyTorch's own module tree does (no cost per call, nothing for
    torch.compile to trace). A `training` argument that disagrees with that mode, as in Keras's fine-tuning
    idiom `TorchModule(backbone)(inputs, training=False)`, switches the module for that call only; every
    submodule's flag is restored afterwards. A frozen module's parameters do not require gradients, so when
    its inputs do not either, autograd records nothing for its forward pass (as under torch.no_grad()); when
    they do, gradients flow through it to the layers before it.

    Example:
        >>> backbone = TorchModule(torchvision.models.resnet18(), trainable=False)
        >>> model = Sequential([Input((3, 32, 32)), backbone, Dense(10, activation="softmax")])
    """

    def __init__(self, module, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(module, nn.Module):
            raise TypeError(f"TorchModule wraps a torch.nn.Module, received {type(module).__name__}.")
        self.module = module
        self.trainable = self._trainable
        self.built = True

    def call(self, inputs, training=None):
        mode = bool(self.training if training is None else training) and self.trainable
        if self.module.training == mode:
            return self.module(inputs)
        modes = [(module, module.training) for module in self.module.modules()]
        self.module.train(mode)
        try:
            return self.module(inputs)
        finally:
            for module, was_training in modes:
                module.training = was_training

    def train(self, mode=True):
        super().train(mode)
        if not self._trainable:
            self.module.train(False)
        return self

    def _own_weights(self, trainable_records):
        if trainable_records:
            return list(self.module.parameters())
        return [buffer for buffer in self.module.buffers() if buffer.is_floating_point()]

    def _weight_layouts(self):
        return [(weight, IDENTITY) for weight in self._own_weights(True) + self._own_weights(False)]

    def _sublayers(self):
        return []

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self.module.requires_grad_(self._trainable)
        self.module.train(self.training and self._trainable)

    def get_config(self):
        return {**super().get_config(), "module": type(self.module).__name__}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        name = config.pop("module")
        factory = user_object(custom_objects, name, (
            f"TorchModule layer '{config.get('name')}' wraps a '{name}', whose code is not stored in saved models. "
            f"Pass custom_objects={{'{name}': factory}}, where factory() builds a new '{name}'."))
        return cls(factory(), **config)


TorchModuleWrapper = TorchModule
