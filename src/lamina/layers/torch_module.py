"""TorchModule: any torch.nn.Module as a lamina layer."""
from torch import nn

from lamina.engine.base_layer import Layer
from lamina.engine.layout import IDENTITY
from lamina.serialization import user_object


class TorchModule(Layer):
    """Wraps any torch.nn.Module as a lamina layer, so it can be used in Sequential and functional models.

    Its parameters are trainable weights and its floating-point buffers non-trainable weights, in the module's
    own layouts. Example: Sequential([Input((3, 32, 32)), TorchModule(torchvision.models.resnet18())]).
    A model holding one saves its weights; to load it pass custom_objects={'<module class name>': factory}, where
    factory() returns a new module of the same architecture.
    """

    def __init__(self, module, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(module, nn.Module):
            raise TypeError(f"TorchModule wraps a torch.nn.Module, received {type(module).__name__}.")
        self.module = module
        self.trainable = self._trainable
        self.built = True

    def call(self, inputs):
        return self.module(inputs)

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
