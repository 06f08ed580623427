"""weights='imagenet' through a local HTTP server: downloaded once and hash-checked, then served from the cache;
torch hub's copy is used when present; a wrong hash or a cut connection caches nothing; offline names the fix."""
import dataclasses
import hashlib
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "datasets"))
from file_server import FileServer  # noqa: E402

from lamina.applications import vgg  # noqa: E402
from lamina.utils import downloads  # noqa: E402

NAME = "vgg16-features.pth"


@pytest.fixture(scope="module")
def features_file(vgg16_torchvision, tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / NAME
    torch.save({k: v for k, v in vgg16_torchvision.state_dict().items() if k.startswith("features.")}, path)
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(features_file, tmp_path, monkeypatch):
    """The features' state dict on a 127.0.0.1 server, as VGG16's checkpoint; empty LAMINA_HOME and TORCH_HOME."""
    data, digest = features_file
    server = FileServer().start()
    server.files["/" + NAME] = data
    monkeypatch.setenv(downloads.HOME_VARIABLE, str(tmp_path / "lamina-home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setattr(downloads, "RETRY_DELAY_SECONDS", 0.0)

    def publish(prefix=digest[:8]):
        checkpoint = vgg.Checkpoint(server.url + NAME, prefix)
        monkeypatch.setattr(vgg, "VGG16_APPLICATION", dataclasses.replace(vgg.VGG16_APPLICATION,
                                                                           checkpoint=checkpoint))
    publish()
    yield server, publish, tmp_path
    server.stop()


def features(model):
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    return model.predict(x, verbose=0)


def test_downloads_once_then_uses_the_cache_with_the_server_stopped(served, vgg16_torchvision):
    server, _, home = served
    first = vgg.VGG16(include_top=False, input_shape=(3, 32, 32))
    cached = home / "lamina-home" / "models" / NAME
    assert cached.is_file() and [path for path, _ in server.requests] == ["/" + NAME]
    with torch.no_grad():
        expected = vgg16_torchvision.features(torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0)))
    np.testing.assert_allclose(features(first), expected.numpy(), rtol=1e-4, atol=1e-5)
    server.stop()
    second = vgg.VGG16(include_top=False, input_shape=(3, 32, 32))
    np.testing.assert_array_equal(features(second), features(first))


def test_a_checkpoint_in_torch_hubs_cache_is_used_without_downloading(served, features_file):
    server, _, home = served
    hub = home / "torch-home" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / NAME).write_bytes(features_file[0])
    vgg.VGG16(include_top=False, input_shape=(3, 32, 32))
    assert server.requests == [] and not (home / "lamina-home" / "models" / NAME).exists()


def test_a_wrong_hash_or_a_cut_connection_caches_nothing(served):
    server, publish, home = served
    models = home / "lamina-home" / "models"
    publish(prefix="00000000")
    with pytest.raises(ValueError, match="corrupted or not the expected version"):
        vgg.VGG16(include_top=False, input_shape=(3, 32, 32))
    assert not (models / NAME).exists()
    publish()
    server.cut_after["/" + NAME] = 1000
    server.honour_range = False
    with pytest.raises(downloads.DownloadError):
        vgg.VGG16(include_top=False, input_shape=(3, 32, 32))
    assert not (models / NAME).exists()


def test_offline_names_the_url_and_where_to_put_the_file(served):
    server, _, home = served
    server.stop()
    with pytest.raises(downloads.DownloadError) as error:
        vgg.VGG16(include_top=False, input_shape=(3, 32, 32))
    assert server.url + NAME in str(error.value) and str(home / "lamina-home" / "models" / NAME) in str(error.value)
