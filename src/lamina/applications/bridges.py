"""from_torchvision and from_timm: any torchvision or timm classification model as a lamina functional model.

torch.fx traces the model with its blocks as leaves. Each block becomes a layer named after its module path
('layer3', 'features_3'), which wraps the block's own module, so the model's weights stay where they are. The
tensor operations between blocks (torch.flatten, a residual add, a class token's concatenation) become small
layers around an fx GraphModule of those operations, named after their last operation ('flatten').
"""
import difflib
import inspect
import itertools
import json
import operator
import weakref

import torch
from torch import fx

from lamina.engine.base_layer import META_FILLS
from lamina.layers import Input
from lamina.layers.torch_module import TorchModule
from lamina.models import Model

# The containers whose children are the blocks: the trunks of torchvision's and timm's models.
TRUNKS = ("features", "layers", "trunk_output", "blocks", "stages", "encoder.layers")
# Constructor arguments torchvision derives from `weights` (googlenet's and inception_v3's transform_input and
# aux_logits, the vision transformers' image_size) and keeps as attributes: a rebuild with weights=None needs them,
# and init_weights=False where torchvision sets it (googlenet, inception_v3).
TORCHVISION_DERIVED = ("transform_input", "aux_logits", "image_size")


def from_torchvision(name, weights=None, *, input_shape=None, expand=None, **kwargs):
    """A torchvision classification model as a lamina functional model whose blocks are named layers.

    The blocks are the model's children, except that the children of its trunk containers (TRUNKS: `features`,
    `layers`, `trunk_output`, `blocks`, `stages`, `encoder.layers`) replace them: ResNet's `conv1` ... `layer3`,
    `layer4`, `avgpool`, `flatten`, `fc`; MobileNet's and EfficientNet's `features_0`, `features_1` ..., `avgpool`,
    `flatten`, `classifier`; a vision transformer's `encoder_layers_encoder_layer_0` ... Each
    block layer wraps torchvision's own module (a `TorchModule`), so `summary()`, `get_layer()`, freezing a block
    (`model.get_layer('layer3').trainable = False`, which also keeps its batch norms in eval mode) and feature
    extraction (`Model(model.input, model.get_layer('layer3').output)`) work as on any lamina model.

    Args:
        name: a name from `torchvision.models.list_models(module=torchvision.models)`, e.g. 'resnet50'.
        weights: passed to `torchvision.models.get_model`: None (random), 'DEFAULT', a weight name such as
            'IMAGENET1K_V1', or a weights enum. torch hub downloads them.
        input_shape: the input's (channels, height, width), channels first whatever lamina's image data format;
            by default the crop size of the weights (of the model's default weights when weights=None), or the
            vision transformers' `image_size`. (3, None, None) accepts any size where the model does.
        expand: module paths whose children become the blocks instead of them; by default the trunks above that
            the model has. () keeps each child of the model whole.
        **kwargs: torchvision's model arguments, e.g. num_classes=10.

    The model is traced in eval mode; a model whose forward differs in training mode (googlenet's and
    inception_v3's auxiliary classifiers) is refused: pass aux_logits=False. A saved model records the model's
    name and arguments, and load_model rebuilds the torchvision modules from them (with random weights, then the
    file's): the arguments must be JSON values for the model to be saved.

    Example:
        >>> model = from_torchvision("resnet18", weights="DEFAULT")
        >>> model.get_layer("layer1").trainable = False
        >>> features = Model(model.input, model.get_layer("layer3").output)
    """
    torchvision = _import("torchvision", "pip install torchvision")
    names = torchvision.models.list_models(module=torchvision.models)
    _check_name("torchvision", name, names, name in names)
    module = torchvision.models.get_model(name, weights=weights, **kwargs)
    derived = {key: getattr(module, key) for key in TORCHVISION_DERIVED if hasattr(module, key)}
    if weights is not None and "aux_logits" in derived:
        derived["init_weights"] = False  # as torchvision's builder sets it, which skips a slow random initialisation
    if input_shape is None:
        input_shape = (3,) + (derived.get("image_size") or _crop_size(torchvision, name, weights),) * 2
    return _bridge(module, "torchvision", name, {**kwargs, **derived}, input_shape, expand)


def from_timm(name, pretrained=False, *, input_shape=None, expand=None, **kwargs):
    """A timm model as a lamina functional model whose blocks are named layers, as from_torchvision.

    The blocks are the model's children, with the children of `blocks`, `stages`, `layers` or `features` in
    place of those containers: timm's ResNets give `conv1` ... `layer4`, `global_pool`, `fc`; its EfficientNets and
    vision transformers `blocks_0`, `blocks_1`, ...

    Args:
        name: a timm model name (`timm.list_models()`), with or without a pretrained tag ('resnet18.a1_in1k').
        pretrained: passed to `timm.create_model`, which downloads the weights from the Hugging Face hub; a local
            file loads with `pretrained_cfg_overlay=dict(file=path)`.
        input_shape: (channels, height, width); by default the model's `pretrained_cfg['input_size']` (or
            `img_size` and `in_chans` when given).
        expand: module paths whose children become the blocks, as in from_torchvision.
        **kwargs: timm's model arguments, e.g. num_classes=10, drop_path_rate=0.1.

    timm is an optional dependency: `pip install 'lamina[timm]'`.

    Example:
        >>> model = from_timm("resnet18", pretrained=True, num_classes=10)
    """
    timm = _import("timm", "pip install 'lamina[timm]'")
    _check_name("timm", name, timm.list_models(), timm.is_model(name))
    module = timm.create_model(name, pretrained=pretrained, **kwargs)
    if input_shape is None:
        size = kwargs.get("img_size") or module.pretrained_cfg.get("input_size", (3, 224, 224))[1:]
        input_shape = (kwargs.get("in_chans", 3),) + (tuple(size) if isinstance(size, (tuple, list)) else (size,) * 2)
    return _bridge(module, "timm", name, kwargs, input_shape, expand)


class BridgedModule(TorchModule):
    """A part of a bridged torchvision or timm model: one block (a submodule) or the operations between blocks.

    Its config records where the part comes from instead of the module's class: the library, the model's name and
    arguments, `expand` and the input shape. load_model rebuilds the whole model once from them (no code is read
    from the file), traces it again and hands each layer its part; the file's weights then replace the random ones.
    """

    def __init__(self, module, source, **kwargs):
        super().__init__(module, **kwargs)
        self.source = source

    def get_config(self):
        config = {key: value for key, value in super().get_config().items() if key != "module"}
        try:
            json.dumps(self.source)
        except TypeError as error:
            raise ValueError(
                f"Layer '{self.name}' comes from {self.source['library']} model '{self.source['model']}' built with "
                f"arguments that are not JSON values ({error}), so the model cannot be saved with its architecture; "
                f"save_weights() saves its weights.") from None
        return {**config, "source": self.source}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        source = config.pop("source")
        parts = _rebuilt_parts(source, config["name"])
        layer = cls(parts[config["name"]], source=source, **config)
        layer._rebuilt = parts  # the other layers of the same load take their parts from it
        return layer


def _bridge(module, library, name, kwargs, input_shape, expand):
    """The lamina model of a torch model: its parts traced, then called on an Input in the traced order."""
    input_shape = tuple(input_shape)
    expand = _expanded(module, library, name, expand)
    source = {"library": library, "model": name, "kwargs": kwargs, "expand": list(expand),
              "input_shape": list(input_shape)}
    graph = _trace(module, library, name, expand)
    inputs = Input(input_shape)
    values = {next(node for node in graph.nodes if node.op == "placeholder"): inputs}
    layers = {}
    for part_name, part, part_inputs, outputs in _parts(module, graph, input_shape):
        if part_name not in layers:
            layers[part_name] = BridgedModule(part, source, name=part_name)
        result = layers[part_name](values[part_inputs[0]] if len(part_inputs) == 1
                                   else [values[node] for node in part_inputs])
        values.update(zip(outputs, [result] if len(outputs) == 1 else result))
    output = next(node for node in graph.nodes if node.op == "output").args[0]
    return Model(inputs, fx.node.map_arg(output, values.__getitem__), name=name.replace(".", "_"))


def _expanded(module, library, name, expand):
    paths = dict(module.named_modules())
    if expand is None:
        return tuple(path for path in TRUNKS if path in paths)
    missing = [path for path in expand if path not in paths]
    if missing:
        children = ", ".join(child for child, _ in module.named_children())
        raise ValueError(f"{library} model '{name}' has no module {missing[0]!r} to expand; its children are "
                         f"{children}.")
    return tuple(expand)


class _Tracer(fx.Tracer):
    """Traces into the model and its expanded containers only: their other children are leaves (the blocks)."""

    def __init__(self, traced):
        super().__init__()
        self.traced = traced

    def is_leaf_module(self, module, qualified_name):
        return qualified_name not in self.traced


def _trace(module, library, name, expand):
    """The model's fx graph in eval mode, for a forward taking one image batch (other arguments keep their
    defaults); an error when it cannot be traced or differs in training mode."""
    arguments = list(inspect.signature(module.forward).parameters.values())[1:]
    required = [argument.name for argument in arguments if argument.default is argument.empty
                and argument.kind in (argument.POSITIONAL_ONLY, argument.POSITIONAL_OR_KEYWORD)]
    if required:
        raise ValueError(f"{library} model '{name}' needs the arguments {required} besides the images; a bridge "
                         f"passes only the images.")
    defaults = {argument.name: argument.default for argument in arguments if argument.default is not argument.empty}
    traced = {".".join(path.split(".")[:depth]) for path in expand for depth in range(len(path.split(".")) + 1)}
    graphs = []
    for training in (True, False):
        module.train(training)
        try:
            graphs.append(_without_default_arguments(_Tracer(traced).trace(module, concrete_args=defaults)))
        except Exception as error:  # the model's own code fails on fx proxies: TraceError, TypeError, ...
            raise ValueError(f"torch.fx cannot trace {library} model '{name}' (with its blocks as leaves), so it "
                             f"cannot be bridged: {type(error).__name__}: {error}") from error
    training_code, eval_code = (graph.python_code("self").src for graph in graphs)
    if training_code != eval_code:
        raise ValueError(
            f"{library} model '{name}' runs another graph in training mode than in eval mode, which a lamina graph "
            f"cannot follow: pass aux_logits=False (googlenet, inception_v3: auxiliary classifiers) or drop_rate=0 "
            f"(timm models applying dropout in their forward).")
    return graphs[1]


def _without_default_arguments(graph):
    """The graph without the placeholders fx keeps for the arguments traced at their defaults, and without the
    assertions that check them."""
    unused = set()
    stack = [node for node in graph.nodes if node.op == "placeholder"][1:]
    while stack:
        node = stack.pop()
        if node.op == "output":
            raise TypeError(f"the output depends on the argument '{node.name}'")
        if node not in unused:
            unused.add(node)
            stack.extend(node.users)
    for node in reversed(list(graph.nodes)):
        if node in unused:
            graph.erase_node(node)
    return graph


class _MetaRun(fx.Interpreter):
    """Runs a traced graph on meta tensors (no memory, no arithmetic), noting which nodes give tensors."""

    def __init__(self, module, graph):
        super().__init__(fx.GraphModule(module, graph))
        self.tensors = set()

    def run_node(self, node):
        value = super().run_node(node)
        if isinstance(value, torch.Tensor):
            self.tensors.add(node)
        return value

    def get_attr(self, target, args, kwargs):
        return super().get_attr(target, args, kwargs).to("meta")

    def call_module(self, target, args, kwargs):
        submodule = self.fetch_attr(target)
        state = {key: value.to("meta")
                 for key, value in itertools.chain(submodule.named_parameters(), submodule.named_buffers())}
        return torch.func.functional_call(submodule, state, args, kwargs)


def _parts(module, graph, input_shape):
    """The layers of the bridge in graph order: (name, module, input nodes, output nodes) for each block call and
    each run of operations between blocks. A block called twice is one layer called twice."""
    tensors = _tensor_nodes(module, graph, input_shape)
    parts, taken, block_names, pending = [], set(), {}, []
    for node in graph.nodes:
        if node.op in ("placeholder", "output"):
            continue
        if not _is_block_call(node, tensors):
            pending.append(node)
            continue
        pending = _add_operations(module, pending, tensors, parts, taken)
        if node.target not in block_names:
            block_names[node.target] = _free_name(node.target.replace(".", "_"), taken)
        parts.append((block_names[node.target], module.get_submodule(node.target), [node.args[0]], [node]))
    _add_operations(module, pending, tensors, parts, taken)
    return parts


def _tensor_nodes(module, graph, input_shape):
    """The nodes whose values are tensors, found by running the graph on a meta input of input_shape."""
    sizes = [META_FILLS[0] if size is None else size for size in input_shape]
    run = _MetaRun(module, graph)
    with torch.no_grad():
        run.run(torch.empty([2] + sizes, device="meta"))
    return run.tensors


def _is_block_call(node, tensors):
    """A leaf module called on one tensor, returning one: a block layer (other calls join the operations)."""
    return (node.op == "call_module" and node in tensors and len(node.args) == 1 and not node.kwargs
            and node.args[0] in tensors)


def _add_operations(module, pending, tensors, parts, taken):
    """Adds the run of operations `pending` to parts; returns what stays pending: nothing, or the whole run when it
    passes nothing on (shape assertions), which then joins the next run.

    Values that are not tensors (sizes read from x.shape) and the parameters the operations read are not passed
    between layers: the nodes computing them are repeated in each run that uses them."""
    if not pending:
        return []
    members = _with_repeated_producers(pending, tensors)
    outputs = [node for node in members if node in tensors and node.op != "get_attr"
               and any(user not in members for user in node.users)]
    if not outputs:
        return pending
    parts.append(_operations(module, members, outputs, taken))
    return []


def _with_repeated_producers(pending, tensors):
    members = set(pending)
    stack = [argument for node in pending for argument in node.all_input_nodes]
    while stack:
        node = stack.pop()
        if node in members or (node in tensors and node.op != "get_attr"):
            continue
        if node.op == "call_module":
            raise ValueError(f"Module '{node.target}' returns something other than a tensor, which later operations "
                             f"use; pass expand= so that it is not a block.")
        members.add(node)
        stack.extend(node.all_input_nodes)
    return [node for node in pending[0].graph.nodes if node in members]


def _operations(module, members, outputs, taken):
    """A GraphModule computing `outputs` from the tensors `members` read from other layers (one, or a list)."""
    inputs = list(dict.fromkeys(argument for node in members for argument in node.all_input_nodes
                                if argument not in members))
    if not inputs:
        raise ValueError(f"The operations computing '{outputs[-1].name}' use no tensor of the model; a bridge "
                         f"cannot make a layer of them.")
    graph = fx.Graph()
    placeholder = graph.placeholder("inputs")
    values = ({inputs[0]: placeholder} if len(inputs) == 1 else
              {node: graph.call_function(operator.getitem, (placeholder, index)) for index, node in enumerate(inputs)})
    for node in members:
        values[node] = graph.node_copy(node, values.__getitem__)
    graph.output(values[outputs[0]] if len(outputs) == 1 else tuple(values[node] for node in outputs))
    return _free_name(outputs[-1].name, taken), fx.GraphModule(module, graph, class_name="Operations"), inputs, outputs


def _free_name(name, taken):
    """`name`, or `name_1`, `name_2` ... when another layer or a Model attribute has it."""
    candidate, count = name, 0
    while candidate in taken or hasattr(Model, candidate):
        count += 1
        candidate = f"{name}_{count}"
    taken.add(candidate)
    return candidate


# load_model's layers of one model share one rebuild: the first layer builds it, each takes its part. A layer
# whose part was taken already belongs to another load (or a clone), which gets a rebuild of its own. Weak values:
# a rebuild lives as long as the layers holding its parts.
_REBUILDS = weakref.WeakValueDictionary()


class _Rebuild(dict):
    """The parts of one rebuilt model by layer name, and the names whose parts a layer has taken."""

    def __init__(self, parts):
        super().__init__(parts)
        self.taken = set()


def _rebuilt_parts(source, layer_name):
    key = json.dumps(source, sort_keys=True)
    rebuild = _REBUILDS.get(key)
    if rebuild is None or layer_name in rebuild.taken:
        rebuild = _Rebuild(_rebuild(source))
        _REBUILDS[key] = rebuild
    if layer_name not in rebuild:
        raise ValueError(f"{source['library']} model '{source['model']}' rebuilt with its saved arguments has no "
                         f"layer '{layer_name}'; the file was saved with another version of {source['library']}.")
    rebuild.taken.add(layer_name)
    return rebuild


def _rebuild(source):
    library, name, kwargs = source["library"], source["model"], source["kwargs"]
    if library == "torchvision":
        torchvision = _import("torchvision", "pip install torchvision")
        module = torchvision.models.get_model(name, weights=None, **kwargs)
    else:
        module = _import("timm", "pip install 'lamina[timm]'").create_model(name, pretrained=False, **kwargs)
    graph = _trace(module, library, name, tuple(source["expand"]))
    return {part_name: part for part_name, part, _, _ in _parts(module, graph, source["input_shape"])}


def _import(library, install):
    try:
        return __import__(library)
    except ImportError as error:
        raise ImportError(f"The {library} bridge needs {library}: {install}") from error


def _check_name(library, name, names, known):
    if known:
        return
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    hint = f" Close names: {', '.join(close)}." if close else ""
    listing = ("torchvision.models.list_models(module=torchvision.models)" if library == "torchvision"
               else "timm.list_models()")
    raise ValueError(f"Unknown {library} model '{name}'.{hint} {listing} lists them all.")


def _crop_size(torchvision, name, weights):
    """The crop size of the weights (of the model's default weights when weights=None)."""
    enum = torchvision.models.get_model_weights(name)
    weights = enum.verify(weights) or enum.DEFAULT
    return weights.transforms().crop_size[0]
