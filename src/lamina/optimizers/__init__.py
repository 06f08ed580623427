"""Optimizers with Keras names, arguments and defaults, running PyTorch's own torch.optim implementations.

Each optimizer adds what Keras has and torch.optim does not: `clipnorm` (per weight), `clipvalue`,
`global_clipnorm`, Keras's decoupled `weight_decay`, learning-rate schedules (lamina.optimizers.schedules) and
Keras 1's `lr` and `decay` (inverse-time decay: lr / (1 + decay * iterations)).

An optimizer created with `lr=` is Keras 1 code, so the arguments it leaves out take Keras 1's defaults, not
Keras 3's: epsilon 1e-8 (RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam), Adagrad's accumulators starting at 0,
and Nadam's `schedule_decay` 0.004 (docs/keras-compatibility.md lists them).

Example:
    >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.01, momentum=0.9, clipnorm=1.0), loss="mse")
"""
import warnings

import torch

from lamina.identifiers import resolve
from lamina.legacy import LegacyArgumentWarning
from lamina.optimizers import schedules
from lamina.optimizers.schedules import LearningRateSchedule
from lamina.serialization import Configurable, serialize


class Optimizer(Configurable):
    """Base class: Keras's optimizer arguments around a torch.optim optimizer created by build(params).

    Args:
        learning_rate: a float or a LearningRateSchedule (Keras 1: `lr`).
        weight_decay: decoupled weight decay (w -= learning_rate * weight_decay * w each step), as Keras.
        clipnorm: clip each gradient to this L2 norm. clipvalue: clip each gradient value to [-v, v].
        global_clipnorm: clip all gradients together to this global L2 norm.
        decay: Keras 1's inverse-time decay of the learning rate per step.

    `keras1_defaults` is True when the learning rate was given as Keras 1's `lr`: subclasses then default their
    other arguments to Keras 1's values.
    """

    torch_class = None
    default_learning_rate = 0.001

    def __init__(self, learning_rate=None, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 decay=0.0, name=None, **kwargs):
        self.keras1_defaults = "lr" in kwargs
        if self.keras1_defaults:
            warnings.warn(f"{type(self).__name__}: `lr` is the Keras 1 name; use `learning_rate`.",
                          LegacyArgumentWarning, stacklevel=3)
            learning_rate = kwargs.pop("lr")
        for ignored in ("use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                        "gradient_accumulation_steps"):
            kwargs.pop(ignored, None)
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(kwargs)}.")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("Pass at most one of `clipnorm` (per weight) and `global_clipnorm` (all weights).")
        learning_rate = self.default_learning_rate if learning_rate is None else learning_rate
        if isinstance(learning_rate, dict):
            learning_rate = schedules.get(learning_rate)
        if not isinstance(learning_rate, LearningRateSchedule) and (
                not isinstance(learning_rate, (int, float)) or learning_rate < 0):
            raise ValueError(f"{type(self).__name__}: `learning_rate` must be a number >= 0 or a schedule, "
                             f"received {learning_rate!r}.")
        self._learning_rate = learning_rate
        self.weight_decay, self.decay = weight_decay, float(decay)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self.torch_optimizer = None
        self.params = []
        self._built = False

    def torch_arguments(self):
        """Arguments of the torch.optim class, besides params and lr."""
        return {}

    def build(self, params):
        """Creates the torch.optim optimizer for `params` (trainable tensors)."""
        self.params = [p for p in params if p.requires_grad]
        self._built = True
        if not self.params:  # a frozen model: steps change nothing, as in Keras
            self.torch_optimizer = None
            return
        arguments = self.torch_arguments()
        device = self.params[0].device
        # PyTorch's fused kernels (one kernel for all weights) are 2-3x faster per step, on CPU as on CUDA.
        if device.type in ("cpu", "cuda") and all(p.is_floating_point() for p in self.params) and \
                self.torch_class in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW):
            arguments["fused"] = True
        self.torch_optimizer = self.torch_class(self.params, lr=self.current_learning_rate(), **arguments)

    def current_learning_rate(self):
        """The learning rate for the coming step (schedules and Keras 1 decay applied)."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            rate = self._learning_rate(self.iterations)
        else:
            rate = self._learning_rate
        if self.decay:
            rate = rate / (1.0 + self.decay * self.iterations)
        return float(rate)

    @property
    def learning_rate(self):
        return self.current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = value if isinstance(value, LearningRateSchedule) else float(value)

    lr = learning_rate

    def zero_grad(self):
        for param in self.params:
            param.grad = None

    def step(self, grad_scaler=None):
        """Clips the gradients, applies weight decay and the torch.optim step with the current learning rate.

        With a torch.amp.GradScaler (float16 training) the gradients are unscaled before clipping, and the step
        is skipped when they overflowed, as PyTorch's scaler does.
        """
        self._require_built()
        if self.torch_optimizer is None:
            self.iterations += 1
            return
        if grad_scaler is not None:
            grad_scaler.unscale_(self.torch_optimizer)
        if self.clipvalue is not None or self.clipnorm is not None or self.global_clipnorm is not None:
            gradients = [p.grad for p in self.params if p.grad is not None]
            if gradients:
                with torch.no_grad():
                    self.clip(gradients)
        rate = self.current_learning_rate()
        for group in self.torch_optimizer.param_groups:
            group["lr"] = rate
        if self.weight_decay and not self.decay_in_torch():
            decayed = [p for p in self.params if p.grad is not None]
            with torch.no_grad():
                torch._foreach_mul_(decayed, 1.0 - rate * self.weight_decay)
        if grad_scaler is None:  # torch.optim's step runs under no_grad itself
            self.torch_optimizer.step()
        else:
            grad_scaler.step(self.torch_optimizer)
            grad_scaler.update()
        self.iterations += 1

    def keras_default(self, value, keras1, keras3):
        """value as a float if given, else Keras 1's default `keras1` (after `lr=`) or Keras 3's `keras3`."""
        if value is not None:
            return float(value)
        return float(keras1 if self.keras1_defaults else keras3)

    def default_epsilon(self, epsilon):
        """epsilon if given, else Keras 1's 1e-8 (after `lr=`) or Keras 3's 1e-7."""
        return self.keras_default(epsilon, 1e-8, 1e-7)

    def decay_in_torch(self):
        """Whether the torch optimizer applies Keras's decoupled weight decay itself (AdamW)."""
        return False

    def clip(self, gradients):
        if self.clipvalue is not None:
            torch._foreach_clamp_min_(gradients, -self.clipvalue)
            torch._foreach_clamp_max_(gradients, self.clipvalue)
        if self.clipnorm is not None:
            norms = torch._foreach_norm(gradients)
            scales = [self.clipnorm / torch.clamp_min(norm, self.clipnorm) for norm in norms]
            torch._foreach_mul_(gradients, scales)
        if self.global_clipnorm is not None:
            torch.nn.utils.clip_grad_norm_(self.params, self.global_clipnorm, foreach=True)

    def _require_built(self):
        if not self._built:
            raise ValueError(f"{type(self).__name__} is not built: call optimizer.build(model.trainable_weights) "
                             f"(compile() does it).")

    def state_dict(self):
        self._require_built()
        torch_state = None if self.torch_optimizer is None else self.torch_optimizer.state_dict()
        return {"iterations": self.iterations, "torch": torch_state}

    def load_state_dict(self, state):
        self._require_built()
        self.iterations = int(state["iterations"])
        if self.torch_optimizer is not None:
            self.torch_optimizer.load_state_dict(state["torch"])
            _match_parameter_layouts(self.torch_optimizer)

    def get_config(self):
        rate = self._learning_rate
        config = {"name": self.name,
                  "learning_rate": serialize(rate) if isinstance(rate, LearningRateSchedule) else rate,
                  "weight_decay": self.weight_decay, "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                  "global_clipnorm": self.global_clipnorm}
        if self.decay:
            config["decay"] = self.decay
        return config


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and Nesterov momentum (Keras defaults: lr 0.01)."""

    torch_class = torch.optim.SGD
    default_learning_rate = 0.01

    def __init__(self, learning_rate=None, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def torch_arguments(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSprop (Keras defaults: lr 0.001, rho 0.9, epsilon 1e-7; Keras 1's epsilon 1e-8 after `lr=`)."""

    torch_class = torch.optim.RMSprop

    def __init__(self, learning_rate=None, rho=0.9, momentum=0.0, epsilon=None, centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.centered = float(rho), float(momentum), centered
        self.epsilon = self.default_epsilon(epsilon)

    def torch_arguments(self):
        return {"alpha": self.rho, "momentum": self.momentum, "eps": self.epsilon, "centered": self.centered}

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


class Adam(Optimizer):
    """Adam (Keras defaults: lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7; Keras 1's 1e-8 after `lr=`)."""

    torch_class = torch.optim.Adam

    def __init__(self, learning_rate=None, beta_1=0.9, beta_2=0.999, epsilon=None, amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.amsgrad = float(beta_1), float(beta_2), amsgrad
        self.epsilon = self.default_epsilon(epsilon)

    def torch_arguments(self):
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon, "amsgrad": self.amsgrad}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras default weight_decay 0.004)."""

    torch_class = torch.optim.AdamW

    def __init__(self, learning_rate=None, weight_decay=0.004, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)

    def torch_arguments(self):
        return {**super().torch_arguments(), "weight_decay": self.weight_decay or 0.0}

    def decay_in_torch(self):
        return True


class Adamax(Adam):
    """Adamax, Adam's infinity-norm variant (Keras defaults)."""

    torch_class = torch.optim.Adamax

    def __init__(self, learning_rate=None, beta_1=0.9, beta_2=0.999, epsilon=None, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)

    def torch_arguments(self):
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon}

    def get_config(self):
        config = super().get_config()
        config.pop("amsgrad")
        return config


class Nadam(Adamax):
    """Adam with Nesterov momentum (Keras defaults; Keras 3's momentum schedule beta_1 * (1 - 0.5 * 0.96 ** t)).

    Keras 1's `schedule_decay` (0.004 by default after `lr=`) gives its schedule beta_1 * (1 - 0.5 * 0.96 **
    (t * schedule_decay)).
    """

    torch_class = torch.optim.NAdam

    def __init__(self, learning_rate=None, schedule_decay=None, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.schedule_decay = self.keras_default(schedule_decay, 0.004, 1.0)

    def torch_arguments(self):
        return {**super().torch_arguments(), "momentum_decay": self.schedule_decay}

    def get_config(self):
        config = super().get_config()
        if self.schedule_decay != 1.0:
            config["schedule_decay"] = self.schedule_decay
        return config


class Adagrad(Optimizer):
    """Adagrad (Keras defaults: lr 0.001, initial_accumulator_value 0.1, epsilon 1e-7; after Keras 1's `lr=`,
    accumulators start at 0 and epsilon is 1e-8)."""

    torch_class = torch.optim.Adagrad

    def __init__(self, learning_rate=None, initial_accumulator_value=None, epsilon=None, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = self.keras_default(initial_accumulator_value, 0.0, 0.1)
        self.epsilon = self.default_epsilon(epsilon)

    def torch_arguments(self):
        return {"initial_accumulator_value": self.initial_accumulator_value, "eps": self.epsilon}

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta (Keras defaults: lr 0.001, rho 0.95, epsilon 1e-7; Keras 1's epsilon 1e-8 after `lr=`)."""

    torch_class = torch.optim.Adadelta

    def __init__(self, learning_rate=None, rho=0.95, epsilon=None, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = float(rho)
        self.epsilon = self.default_epsilon(epsilon)

    def torch_arguments(self):
        return {"rho": self.rho, "eps": self.epsilon}

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


ALL_OPTIMIZERS = {cls.__name__.lower(): cls for cls in (SGD, RMSprop, Adam, AdamW, Adamax, Nadam, Adagrad, Adadelta)}


def get(identifier):
    """An Optimizer from a name ('sgd', 'adam', ...), a class, a config dict or an Optimizer."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, torch.optim.Optimizer):
        raise TypeError(
            "compile() takes a lamina optimizer (e.g. optimizers.Adam(learning_rate=1e-3)) or its name; a "
            "torch.optim optimizer is created by lamina from the model's weights."
        )
    return resolve("optimizer", identifier, ALL_OPTIMIZERS, base_class=Optimizer)


def _match_parameter_layouts(torch_optimizer):
    """Gives each loaded state tensor its parameter's memory layout (a channels_last conv kernel's moments come
    back from a file contiguous). torch's fused CPU Adam reads the parameter, gradient and moments as if they
    shared one layout, so mixed layouts would silently give wrong steps."""
    for parameter, parameter_state in torch_optimizer.state.items():
        for key, value in parameter_state.items():
            if isinstance(value, torch.Tensor) and value.shape == parameter.shape and \
                    value.stride() != parameter.stride():
                parameter_state[key] = torch.empty_like(parameter, dtype=value.dtype).copy_(value)
