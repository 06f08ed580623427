"""`lamina heatmap MODEL.lamina IMAGE -o out.png` with every method, on a saved model and an image file."""
import numpy as np
import pytest
import torch
from PIL import Image

from lamina import cli, explain
from lamina.layers import BatchNormalization, Conv2D, Dense, Flatten, GlobalAveragePooling2D, Input
from lamina.models import Sequential, load_model


@pytest.fixture
def saved_patch_task(patch_task, tmp_path):
    model, images, classes, corners = patch_task
    model.save(tmp_path / "patches.lamina")
    image = tmp_path / "image.png"
    Image.fromarray(np.rint(images[0, 0] * 255).astype(np.uint8)).resize((48, 48), Image.NEAREST).save(image)
    return str(tmp_path / "patches.lamina"), str(image), int(classes[0])


@pytest.mark.parametrize("method", ["occlusion", "grad-cam", "saliency", "ig"])
def test_every_method_writes_a_heatmap_over_the_image(saved_patch_task, tmp_path, capsys, method):
    model_path, image_path, predicted = saved_patch_task
    output = tmp_path / "heatmap.png"
    assert cli.main(["heatmap", model_path, image_path, "--method", method, "-o", str(output)]) == 0
    assert capsys.readouterr().out.startswith(f"{method} heatmap of class {predicted} (score ")
    with Image.open(output) as picture:
        assert picture.format == "PNG" and picture.size == (48, 48)


def test_the_occlusion_picture_is_the_api_s_heatmap_on_the_resized_image(saved_patch_task, tmp_path, capsys):
    model_path, image_path, predicted = saved_patch_task
    output = tmp_path / "heatmap.png"
    cli.main(["heatmap", model_path, image_path, "--window", "4", "--stride", "2", "--target", "2", "--logit", "-o",
              str(output)])
    assert capsys.readouterr().out.startswith("occlusion heatmap of class 2 (score ")
    picture = Image.open(image_path)
    # Scaled as the command scales (times float32(1 / 255), which differs from / 255 in the last bit for half the
    # pixel values): the same input bits give the same heatmap bits, so the pictures compare exactly on any CPU.
    x = np.asarray(picture.convert("L").resize((16, 16), Image.BILINEAR), dtype=np.float32)[None] * np.float32(1 / 255)
    heatmap = explain.occlusion(load_model(model_path, compile=False), x, target=2, window=4, stride=2,
                                output="logit", progress=False)
    with Image.open(output) as written:
        np.testing.assert_array_equal(np.asarray(written), np.asarray(explain.overlay(picture.convert("RGB"),
                                                                                      heatmap)))


def test_cam_on_a_global_average_pooling_model(tmp_path, capsys):
    model = Sequential([Input((3, 12, 12)), Conv2D(4, 3, activation="relu"), GlobalAveragePooling2D(),
                        Dense(3, activation="softmax")])
    model.save(tmp_path / "gap.lamina")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(tmp_path / "x.png")
    output = tmp_path / "cam.png"
    assert cli.main(["heatmap", str(tmp_path / "gap.lamina"), str(tmp_path / "x.png"), "--method", "cam",
                     "--target", "1", "-o", str(output)]) == 0
    assert capsys.readouterr().out.startswith("cam heatmap of class 1 (score 0.")
    with Image.open(output) as picture:
        assert picture.size == (24, 20)


def test_the_predicted_class_and_its_score_come_from_inference_mode(tmp_path, capsys):
    """A loaded model is in training mode: batch normalization would use the image's own statistics."""
    model = Sequential([Input((1, 12, 12)), Conv2D(4, 3), BatchNormalization(), Flatten(),
                        Dense(3, activation="softmax")])
    model.save(tmp_path / "bn.lamina")
    pixels = np.random.default_rng(0).integers(0, 255, (12, 12), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "x.png")
    output = tmp_path / "heatmap.png"
    assert cli.main(["heatmap", str(tmp_path / "bn.lamina"), str(tmp_path / "x.png"), "-o", str(output)]) == 0
    loaded = load_model(tmp_path / "bn.lamina", compile=False).eval()
    scores = loaded(torch.as_tensor(pixels[None, None] / np.float32(255)))[0].detach()
    expected = f"occlusion heatmap of class {int(scores.argmax())} (score {float(scores.max()):.3f}) written to "
    assert capsys.readouterr().out.startswith(expected)


def test_command_errors_name_the_problem(saved_patch_task, tmp_path):
    model_path, image_path, _ = saved_patch_task
    output = str(tmp_path / "out.png")
    with pytest.raises(SystemExit, match="^lamina heatmap: no model file at 'absent.lamina'.$"):
        cli.main(["heatmap", "absent.lamina", image_path, "-o", output])
    with pytest.raises(SystemExit, match="^lamina heatmap: no image file at 'absent.png'.$"):
        cli.main(["heatmap", model_path, "absent.png", "-o", output])
    with pytest.raises(SystemExit, match=r"^lamina heatmap: cam: the model must end in convolutions, global average"):
        cli.main(["heatmap", model_path, image_path, "--method", "cam", "-o", output])
    with pytest.raises(SystemExit, match=r"^lamina heatmap: occlusion: target=7 is out of range: the model has 4 "):
        cli.main(["heatmap", model_path, image_path, "--target", "7", "-o", output])
