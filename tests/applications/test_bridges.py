"""from_torchvision and from_timm: torchvision's and timm's models as lamina graphs of named blocks, with their
numerics, block-level feature extraction and freezing, and save/load through a rebuild of the library's model."""
import sys

import numpy as np
import pytest
import torch
import torchvision

from lamina.applications.bridges import from_timm, from_torchvision
from lamina.models import Model, load_model, model_from_json
from applications.comparison import assert_round_trip, random_images, relative_error

RESNET18_BLOCKS = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "flatten",
                   "fc"]
MOBILENET_V3_SMALL_BLOCKS = [f"features_{index}" for index in range(13)] + ["avgpool", "flatten", "classifier"]
TIMM_VIT_BLOCKS = (["patch_embed", "add", "pos_drop", "patch_drop", "norm_pre"] + [f"blocks_{i}" for i in range(12)]
                   + ["norm", "getitem_1", "fc_norm", "head_drop", "head"])


def twins(bridge, reference, seed=0):
    """The bridged model and the library's own (in eval mode), built from the same random initialisation."""
    torch.manual_seed(seed)
    ours = bridge()
    torch.manual_seed(seed)
    return ours, reference().eval()


def reference_outputs(module, x, submodule):
    """The module's output for x and, from a forward hook, its submodule's."""
    seen = []
    handle = submodule.register_forward_hook(lambda _, inputs, output: seen.append(output))
    with torch.no_grad():
        output = module(x)
    handle.remove()
    return output, seen[0]


def block_names(model):
    return [layer.name for layer in model.layers[1:]]


def parameter_count(module):
    """What lamina counts: the parameters and the floating-point buffers (batch norms' running statistics)."""
    return sum(t.numel() for t in [*module.parameters(), *module.buffers()] if t.is_floating_point())


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """On the busy 2-core test machine, intra-op threads of these small convolutions stall more than they gain."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def resnet18():
    return twins(lambda: from_torchvision("resnet18", input_shape=(3, 64, 64)), torchvision.models.resnet18)


def test_resnet18_blocks_are_layers_with_torchvisions_numerics(resnet18):
    ours, theirs = resnet18
    assert block_names(ours) == RESNET18_BLOCKS and ours.input_shape == (None, 3, 64, 64)
    assert ours.count_params() == parameter_count(theirs)
    assert isinstance(ours.get_layer("layer3").module[0], torchvision.models.resnet.BasicBlock)
    assert torch.equal(ours.get_layer("conv1").module.weight, theirs.conv1.weight)
    lines = []
    ours.summary(print_fn=lines.append)
    assert any(line.split() == ["layer3", "(BridgedModule)", "(None,", "256,", "4,", "4)", "2,102,272"]
               for line in lines)
    x = random_images((2, 3, 64, 64), seed=1)
    expected, layer3 = reference_outputs(theirs, x, theirs.layer3)
    assert relative_error(ours.predict(x, verbose=0), expected) < 1e-5
    features = Model(ours.input, ours.get_layer("layer3").output)
    assert features.output_shape == (None, 256, 4, 4)
    assert relative_error(features.predict(x, verbose=0), layer3) < 1e-5


def test_mobilenet_v3_small_features_are_blocks_at_224():
    ours, theirs = twins(lambda: from_torchvision("mobilenet_v3_small"), torchvision.models.mobilenet_v3_small)
    assert block_names(ours) == MOBILENET_V3_SMALL_BLOCKS and ours.input_shape == (None, 3, 224, 224)
    assert ours.count_params() == parameter_count(theirs)
    x = random_images((2, 3, 224, 224), seed=2)
    expected, features_3 = reference_outputs(theirs, x, theirs.features[3])
    assert relative_error(ours.predict(x, verbose=0), expected) < 1e-5
    extractor = Model(ours.input, ours.get_layer("features_3").output)
    assert relative_error(extractor.predict(x, verbose=0), features_3) < 1e-5


def test_vision_transformer_operations_between_blocks_keep_the_class_token():
    ours, theirs = twins(lambda: from_torchvision("vit_b_16", image_size=32),
                         lambda: torchvision.models.vit_b_16(image_size=32))
    names = block_names(ours)
    assert names[:4] == ["conv_proj", "add", "encoder_dropout", "encoder_layers_encoder_layer_0"]
    assert names[-4:] == ["encoder_layers_encoder_layer_11", "encoder_ln", "getitem_5", "heads"]
    assert ours.input_shape == (None, 3, 32, 32)  # the model's image_size
    assert ours.count_params() == parameter_count(theirs)  # the class token and position embedding are in 'add'
    with torch.no_grad():  # torchvision's head starts at zero
        for head in (ours.get_layer("heads").module.head, theirs.heads.head):
            head.weight.copy_(random_images(head.weight.shape, seed=13))
    x = random_images((2, 3, 32, 32), seed=3)
    expected, encoder_layer_5 = reference_outputs(theirs, x, theirs.encoder.layers.encoder_layer_5)
    assert relative_error(ours.predict(x, verbose=0), expected) < 1e-5
    extractor = Model(ours.input, ours.get_layer("encoder_layers_encoder_layer_5").output)
    assert extractor.output_shape == (None, 5, 768)
    assert relative_error(extractor.predict(x, verbose=0), encoder_layer_5) < 1e-5


def test_unknown_sizes_give_the_shapes_of_any_input():
    ours, theirs = twins(lambda: from_torchvision("resnet18", input_shape=(3, None, None), num_classes=3),
                         lambda: torchvision.models.resnet18(num_classes=3))
    assert ours.get_layer("layer3").output.shape == (None, 256, None, None)
    assert ours.get_layer("avgpool").output.shape == (None, 512, 1, 1) and ours.output_shape == (None, 3)
    for shape in ((1, 3, 40, 40), (1, 3, 70, 50)):
        x = random_images(shape, seed=4)
        with torch.no_grad():
            assert relative_error(ours.predict(x, verbose=0), theirs(x)) < 1e-5
    trunk = from_torchvision("mobilenet_v3_small", input_shape=(3, None, None), expand=())
    assert trunk.get_layer("features").output.shape == (None, 576, None, None)  # one block downsampling 32 times


def test_a_frozen_block_keeps_its_weights_and_batch_norm_statistics_in_fit(tmp_path):
    torch.manual_seed(5)
    model = from_torchvision("mobilenet_v3_small", input_shape=(3, 32, 32), num_classes=3)
    frozen, trained = model.get_layer("features_1"), model.get_layer("features_2")
    frozen.trainable = False
    before = {layer.name: {key: value.clone() for key, value in layer.module.state_dict().items()}
              for layer in (frozen, trained)}
    modes = []
    hooks = [layer.module.block[0][1].register_forward_pre_hook(lambda module, _: modes.append(module.training))
             for layer in (frozen, trained)]
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(random_images((4, 3, 32, 32), seed=6).numpy(), np.array([0, 1, 2, 0]), epochs=1, verbose=0)
    for hook in hooks:
        hook.remove()
    assert modes == [False, True]  # in fit, the frozen block's batch norms run in eval mode
    assert all(torch.equal(value, before["features_1"][key]) for key, value in frozen.module.state_dict().items())
    changed = {key for key, value in trained.module.state_dict().items()
               if not torch.equal(value, before["features_2"][key])}
    assert {"block.0.0.weight", "block.0.1.running_mean"} <= changed
    restored = assert_round_trip(model, random_images((2, 3, 32, 32), seed=7), tmp_path / "frozen.lamina")
    assert not restored.get_layer("features_1").trainable and restored.get_layer("features_2").trainable


def test_save_load_rebuilds_the_torchvision_modules(tmp_path):
    torch.manual_seed(8)
    model = from_torchvision("shufflenet_v2_x0_5", input_shape=(3, 64, 64))
    names = ["conv1", "maxpool", "stage2", "stage3", "stage4", "conv5", "mean", "fc"]
    assert block_names(model) == names
    x = random_images((2, 3, 64, 64), seed=8)
    first = assert_round_trip(model, x, tmp_path / "shufflenet.lamina")
    second = load_model(tmp_path / "shufflenet.lamina")
    assert block_names(first) == names
    assert isinstance(first.get_layer("stage2").module[0], torchvision.models.shufflenetv2.InvertedResidual)
    with torch.no_grad():  # two loads hold modules of their own
        second.get_layer("fc").module.bias.add_(1.0)
    assert not np.array_equal(first.predict(x, verbose=0), second.predict(x, verbose=0))
    features = Model(model.input, model.get_layer("stage3").output)
    assert block_names(assert_round_trip(features, x, tmp_path / "features.lamina")) == names[:4]


def test_arguments_torchvision_derives_from_weights_are_saved(monkeypatch):
    """With weights, torchvision's googlenet turns on transform_input (and off the auxiliary classifiers): the
    saved model must rebuild that. Loading the weights themselves is left out here (no download)."""
    get_model = torchvision.models.get_model

    def with_derived_arguments(name, weights=None, **kwargs):
        derived = {"transform_input": True, "aux_logits": False, "init_weights": False} if weights else {}
        return get_model(name, **derived, **kwargs)

    monkeypatch.setattr(torchvision.models, "get_model", with_derived_arguments)
    ours, theirs = twins(lambda: from_torchvision("googlenet", weights="DEFAULT", input_shape=(3, 64, 64)),
                         lambda: get_model("googlenet", transform_input=True, aux_logits=False, init_weights=False))
    assert ours.get_layer("conv1").source["kwargs"] == {"transform_input": True, "aux_logits": False,
                                                         "init_weights": False}
    assert block_names(ours)[0] == "cat"  # transform_input's per-channel affine maps, before conv1
    x = random_images((2, 3, 64, 64), seed=9)
    with torch.no_grad():
        assert relative_error(ours.predict(x, verbose=0), theirs(x)) < 1e-5
    rebuilt = model_from_json(ours.to_json())  # what load_model does before it reads the weights
    rebuilt.set_weights(ours.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), ours.predict(x, verbose=0))


def test_expand_chooses_the_blocks():
    split = from_torchvision("resnet18", input_shape=(3, 32, 32), expand=["layer3"])
    assert block_names(split)[6:8] == ["layer3_0", "layer3_1"]
    whole = from_torchvision("mobilenet_v3_small", input_shape=(3, 32, 32), expand=())
    assert block_names(whole) == ["features", "avgpool", "flatten", "classifier"]
    with pytest.raises(ValueError, match=r"torchvision model 'resnet18' has no module 'layer5' to expand; its "
                                         r"children are conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, "
                                         r"avgpool, fc\."):
        from_torchvision("resnet18", expand=["layer5"])


def test_torchvision_errors(tmp_path):
    with pytest.raises(ValueError, match=r"^Unknown torchvision model 'resnet19'\. Close names: resnet18, resnet152, "
                                         r"resnet101, resnet50, resnet34\. torchvision\.models\.list_models\(module="
                                         r"torchvision\.models\) lists them all\.$"):
        from_torchvision("resnet19")
    with pytest.raises(ValueError, match=r"^torchvision model 'googlenet' runs another graph in training mode than in "
                                         r"eval mode, which a lamina graph cannot follow: pass aux_logits=False "):
        from_torchvision("googlenet", init_weights=False)
    model = from_torchvision("resnet18", input_shape=(3, 32, 32), norm_layer=torch.nn.BatchNorm2d)
    with pytest.raises(ValueError, match=r"^Layer 'conv1' comes from torchvision model 'resnet18' built with "
                                         r"arguments that are not JSON values \(Object of type type is not JSON "
                                         r"serializable\), so the model cannot be saved"):
        model.save(tmp_path / "unsaveable.lamina")


def test_timm_resnet_equals_timm_and_loads_pretrained_weights_from_a_file(tmp_path):
    timm = pytest.importorskip("timm")
    ours, theirs = twins(lambda: from_timm("test_resnet"), lambda: timm.create_model("test_resnet"))
    assert block_names(ours) == ["conv1", "bn1", "act1", "maxpool", "layer1", "layer2", "layer3", "layer4",
                                 "global_pool", "fc"]
    assert ours.input_shape == (None, 3, 160, 160) and ours.count_params() == parameter_count(theirs)
    x = random_images((2, 3, 160, 160), seed=10)
    expected, layer2 = reference_outputs(theirs, x, theirs.layer2)
    assert relative_error(ours.predict(x, verbose=0), expected) < 1e-5
    assert relative_error(Model(ours.input, ours.get_layer("layer2").output).predict(x, verbose=0), layer2) < 1e-5
    torch.manual_seed(11)
    trained = timm.create_model("test_resnet").eval()
    torch.save(trained.state_dict(), tmp_path / "test_resnet.pth")
    overlay = {"file": str(tmp_path / "test_resnet.pth")}  # timm's way to a local checkpoint (no hub download)
    pretrained = from_timm("test_resnet", pretrained=True, pretrained_cfg_overlay=overlay)
    with torch.no_grad():
        assert relative_error(pretrained.predict(x, verbose=0), trained(x)) < 1e-5
    assert_round_trip(pretrained, x, tmp_path / "pretrained.lamina")


def test_timm_vision_transformer_equals_timm():
    timm = pytest.importorskip("timm")
    ours, theirs = twins(lambda: from_timm("vit_tiny_patch16_224", img_size=32),
                         lambda: timm.create_model("vit_tiny_patch16_224", img_size=32))
    assert block_names(ours) == TIMM_VIT_BLOCKS and ours.input_shape == (None, 3, 32, 32)
    assert ours.count_params() == parameter_count(theirs)
    x = random_images((2, 3, 32, 32), seed=12)
    with torch.no_grad():
        assert relative_error(ours.predict(x, verbose=0), theirs(x)) < 1e-5


def test_timm_errors():
    pytest.importorskip("timm")
    with pytest.raises(ValueError, match=r"^Unknown timm model 'resnt18'\. Close names: resnet18, resnet18d, "
                                         r"skresnet18, seresnet18, resnetv2_18\. timm\.list_models\(\) lists them "
                                         r"all\.$"):
        from_timm("resnt18")
    with pytest.raises(ValueError, match=r"^torch\.fx cannot trace timm model 'test_vit' \(with its blocks as "
                                         r"leaves\), so it cannot be bridged: TraceError: symbolically traced "
                                         r"variables cannot be used as inputs to control flow$"):
        from_timm("test_vit")
    with pytest.raises(ValueError, match=r"^timm model 'ghostnet_050' runs another graph in training mode than in "
                                         r"eval mode, .* or drop_rate=0 \(timm models applying dropout in their "
                                         r"forward\)\.$"):
        from_timm("ghostnet_050")


def test_from_timm_without_timm_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "timm", None)
    with pytest.raises(ImportError, match=r"^The timm bridge needs timm: pip install 'lamina\[timm\]'$"):
        from_timm("resnet18")
