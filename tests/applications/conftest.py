"""Shared fixtures of the application tests: torchvision's randomly initialised VGG16 and its state dict (per
module, so that no 64-filter weights outlive these tests: tests/training/test_no_leaks.py looks for such tensors)."""
import pytest
import torch

torchvision = pytest.importorskip("torchvision")


@pytest.fixture(scope="module")
def vgg16_torchvision():
    torch.manual_seed(0)
    return torchvision.models.vgg16().eval()


@pytest.fixture(scope="module")
def vgg16_state_path(vgg16_torchvision, tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "vgg16-random.pth"
    torch.save(vgg16_torchvision.state_dict(), path)
    return path
