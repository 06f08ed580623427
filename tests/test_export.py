"""model.export and `lamina export`: ONNX run by onnxruntime (a dev-only oracle) and torch.export programs give
lamina's outputs at two batch sizes, for the seed models, an application and workflow models with preprocessing
layers inside; bad paths and string inputs are refused with messages that say what to do."""
import numpy as np
import onnxruntime
import pytest
import torch

from lamina.applications import ResNet18
from lamina.audio import AudioClassifier
from lamina.cli import main
from lamina.datasets import landmarks
from lamina.layers import Dense, Input, TextVectorization
from lamina.models import Model, load_model
from lamina.vision import BoxRegressor
from seed_models import seed_models

SEED_MODELS = seed_models()


def batch(shape, integer, size, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 20, (size, *shape)) if integer else rng.random((size, *shape), dtype=np.float32)


def onnx_outputs(path, x):
    return onnxruntime.InferenceSession(str(path)).run(None, {"input_0": x})[0]


def program_outputs(path, x):
    return torch.export.load(str(path)).module()(torch.as_tensor(x))[0].detach().numpy()


@pytest.mark.parametrize("name", sorted(SEED_MODELS))
def test_seed_models_export_to_onnx_and_torch_export(tmp_path, name):
    model, shape, integer = SEED_MODELS[name]
    assert model.export(tmp_path / "model.onnx") == str(tmp_path / "model.onnx")
    model.export(tmp_path / "model.pt2")
    for size in (1, 7):
        x = batch(shape, integer, size)
        expected = model.predict(x)
        np.testing.assert_allclose(onnx_outputs(tmp_path / "model.onnx", x), expected, atol=1e-4, rtol=0)
        np.testing.assert_allclose(program_outputs(tmp_path / "model.pt2", x), expected, atol=1e-5, rtol=0)


def test_an_application_exports_in_inference_mode(tmp_path):
    model = ResNet18(weights=None, input_shape=(3, 64, 64), classes=10)
    model.train()
    model.export(tmp_path / "resnet.onnx")
    assert model.training  # export switched batch normalization to its moving statistics, then back
    for size in (1, 3):
        x = batch((3, 64, 64), False, size)
        np.testing.assert_allclose(onnx_outputs(tmp_path / "resnet.onnx", x), model.predict(x), atol=1e-4, rtol=0)


def test_workflow_models_with_preprocessing_inside_export_from_their_files(tmp_path, capsys):
    images, boxes, labels = landmarks.scenes(8, 0, most=1)
    regressor = BoxRegressor(landmarks.SHAPES, "resnet18", weights=None, image_size=64)
    regressor.fit(images, np.concatenate(boxes), np.concatenate(labels), epochs=1, validation_split=0, verbose=0)
    regressor.save(tmp_path / "boxes.lamina")  # ImageNet normalization, the backbone, the soft arg-max layer
    assert main(["export", str(tmp_path / "boxes.lamina"), "-o", str(tmp_path / "boxes.onnx")]) == 0
    assert "Exported" in capsys.readouterr().out
    for size in (1, 4):
        x = images[:size].astype(np.float32)
        np.testing.assert_allclose(onnx_outputs(tmp_path / "boxes.onnx", x), regressor.model.predict(x), atol=1e-4,
                                   rtol=0)
    audio = AudioClassifier(sample_rate=8000, duration=0.5, n_mels=16)
    audio._build(["a", "b"])  # waveforms in: gain and shift (off in inference), the mel spectrogram, a CNN
    audio.model.export(tmp_path / "audio.pt2")
    audio.model.export(tmp_path / "audio.onnx")
    for size in (1, 3):
        waves = np.random.default_rng(size).standard_normal((size, 1, 4000)).astype(np.float32)
        expected = audio.model.predict(waves)
        np.testing.assert_allclose(program_outputs(tmp_path / "audio.pt2", waves), expected, atol=1e-5, rtol=0)
        np.testing.assert_allclose(onnx_outputs(tmp_path / "audio.onnx", waves), expected, atol=1e-4, rtol=0)


def test_bad_exports_are_refused_with_what_to_do(tmp_path):
    model, _, _ = SEED_MODELS["xor"]
    with pytest.raises(ValueError, match=r"give a path ending in .onnx or .pt2"):
        model.export(tmp_path / "model.h5")
    with pytest.raises(FileNotFoundError, match="does not exist. Create it first"):
        model.export(tmp_path / "missing" / "model.onnx")
    texts = Input((1,), dtype="string")
    vectorizer = TextVectorization(max_tokens=10, output_sequence_length=4)
    vectorizer.adapt(["a b c", "b c d"])
    with pytest.raises(ValueError, match="takes strings, which ONNX and torch.export cannot carry"):
        Model(texts, Dense(1)(vectorizer(texts))).export(tmp_path / "text.onnx")
    with pytest.raises(SystemExit, match="no model file at"):
        main(["export", str(tmp_path / "none.lamina"), "-o", str(tmp_path / "x.onnx")])
    assert not (tmp_path / "model.h5").exists() and load_model  # nothing written for refused exports
