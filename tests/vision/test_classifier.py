"""lamina.vision.ImageClassifier: frozen-feature training, fine-tuning, predict, evaluate, save and load.

Backbones have random weights (weights=None) at 32 pixels; the classes differ by colour, which random ResNet
features separate. Oracles: torchvision's Resize + CenterCrop with torch arithmetic for the input pipeline,
the head applied to the cached features for the model's output, torch's cross-entropy for the loss.
"""
import json
import shutil
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2

import lamina
from lamina.applications import imagenet
from lamina.layers import Dense, GlobalAveragePooling2D, Conv2D, Input
from lamina.models import Model
from lamina.vision import ImageClassifier, Prediction, image_dataset, load_model


def weights_of(layer):
    return {name: value.detach().clone() for name, value in layer.state_dict().items()}


def same(first, second):
    return all(torch.equal(first[name], second[name]) for name in first)


@pytest.fixture(scope="module")
def trained(colour_photos):
    lamina.utils.set_random_seed(0)
    classifier = ImageClassifier("resnet18", weights=None, image_size=32)
    history = classifier.fit(colour_photos, epochs=40, learning_rate=1e-2, verbose=0)
    return classifier, history


def test_fit_trains_the_head_on_frozen_features_to_tell_the_classes(trained, colour_photos):
    classifier, history = trained
    assert classifier.class_names == ["blue", "green", "red"]
    assert history.history["accuracy"][-1] == 1.0
    assert history.history["val_accuracy"][-1] >= 0.75  # 6 validation images
    assert len(history.history["loss"]) == 40


def test_fit_leaves_the_backbone_and_its_batch_statistics_unchanged(colour_photos):
    classifier = ImageClassifier("resnet18", weights=None, image_size=32)
    classifier.fit(colour_photos, epochs=1, verbose=0)
    before = weights_of(classifier.backbone)
    dense_before = weights_of(classifier.model.get_layer("predictions"))
    classifier.fit(colour_photos, epochs=2, verbose=0)
    assert same(before, weights_of(classifier.backbone))
    assert not same(dense_before, weights_of(classifier.model.get_layer("predictions")))


def test_the_models_output_is_the_head_on_the_cached_features(trained, colour_photos):
    classifier, _ = trained
    dataset = image_dataset(colour_photos, 32, classifier.transform.resize_size)
    features = classifier._features(dataset.validation, 32, 0)
    head = classifier._head()
    expected = head(torch.from_numpy(features), training=False).detach().numpy()
    np.testing.assert_allclose(classifier.predict_proba(dataset.validation.paths), expected, rtol=1e-5, atol=1e-6)


def test_predict_is_torchvisions_transform_normalisation_and_the_model(trained, colour_photos):
    classifier, _ = trained
    path = colour_photos / "red" / "03.jpg"
    transform = v2.Compose([v2.PILToTensor(), v2.Resize(classifier.transform.resize_size, antialias=True),
                            v2.CenterCrop(32), v2.ToDtype(torch.float32, scale=True),
                            v2.Normalize(imagenet.MEAN, imagenet.STD)])
    pixels = transform(Image.open(path).convert("RGB"))
    with torch.inference_mode():
        features = classifier.backbone(pixels[None], training=False)
        expected = classifier._head()(features, training=False).numpy()
    np.testing.assert_allclose(classifier.predict_proba(str(path)), expected, atol=2e-3)  # 1 grey level
    (label, probability), = classifier.predict(str(path))
    assert label == classifier.class_names[int(expected.argmax())]
    assert probability == pytest.approx(float(expected.max()), abs=2e-3)


def test_predict_takes_paths_pil_images_and_uint8_arrays_alike(trained, colour_photos):
    classifier, _ = trained
    path = colour_photos / "green" / "04.png"
    image = Image.open(path)
    from_path = classifier.predict_proba(str(path))
    np.testing.assert_array_equal(classifier.predict_proba(image), from_path)
    np.testing.assert_array_equal(classifier.predict_proba(np.asarray(image.convert("RGB"))), from_path)
    predictions = classifier.predict([str(path), image])
    assert len(predictions) == 2 and all(isinstance(p, Prediction) for p in predictions)


def test_evaluate_gives_the_loss_accuracy_and_per_class_report(trained, colour_photos):
    classifier, _ = trained
    result = classifier.evaluate(colour_photos, verbose=0)
    dataset = image_dataset(colour_photos, 32, classifier.transform.resize_size, validation_split=0)
    probabilities = classifier.predict_proba(dataset.train.paths)
    labels = torch.as_tensor(dataset.train.labels)
    expected_loss = torch.nn.functional.nll_loss(torch.log(torch.as_tensor(probabilities).double()), labels)
    assert result["loss"] == pytest.approx(float(expected_loss), rel=1e-5)
    assert result["accuracy"] == pytest.approx(float((probabilities.argmax(1) == dataset.train.labels).mean()))
    assert list(result["report"].support) == [12, 12, 12]


def test_save_and_load_model_keep_class_names_transform_and_outputs(trained, colour_photos, tmp_path):
    classifier, _ = trained
    path = tmp_path / "colours.lamina"
    classifier.save(path)
    loaded = load_model(path)
    assert loaded.class_names == classifier.class_names
    assert loaded.transform == classifier.transform
    paths = [str(colour_photos / "blue" / "01.jpg"), str(colour_photos / "red" / "02.png")]
    np.testing.assert_array_equal(loaded.predict_proba(paths), classifier.predict_proba(paths))
    with zipfile.ZipFile(path) as archive:
        metadata = json.loads(archive.read("config.json"))["metadata"]["image_classifier"]
    assert metadata["class_names"] == ["blue", "green", "red"] and metadata["backbone"] == "resnet18"
    plain = lamina.models.load_model(path, compile=False)  # the plain lamina model loads too
    assert plain.metadata["image_classifier"]["transform"]["image_size"] == [32, 32]


def test_a_plain_model_file_is_not_an_image_classifier(tmp_path):
    inputs = Input((3,))
    Model(inputs, Dense(2)(inputs)).save(tmp_path / "plain.lamina")
    with pytest.raises(ValueError, match="holds a lamina model but not an ImageClassifier .* lamina.models.load_model"):
        load_model(tmp_path / "plain.lamina")


def test_features_are_cached_on_disk_by_file_contents(colour_photos, tmp_path):
    photos = shutil.copytree(colour_photos, tmp_path / "photos")
    cache = tmp_path / "cache"
    first = ImageClassifier("resnet18", weights=None, image_size=32, cache=cache)
    first.fit(photos, epochs=1, verbose=0)
    [stored] = list(cache.iterdir())
    dataset = image_dataset(photos, 32, first.transform.resize_size)
    calls = []
    first.features_cache.tables.clear()  # read the disk file again

    def counting(paths):
        calls.append(list(paths))
        return np.zeros((len(paths), 512), np.float32)

    key = stored.stem
    cached = first.features_cache.features(key, dataset.train.paths, counting)
    assert calls == [] and cached.shape == (len(dataset.train), 512) and np.abs(cached).sum() > 0
    shutil.move(photos / "red" / "00.png", photos / "red" / "renamed.png")
    draw_over = photos / "red" / "01.jpg"
    Image.new("RGB", (40, 40), (255, 255, 0)).save(draw_over)
    first.features_cache.features(key, [str(photos / "red" / "renamed.png"), str(draw_over)], counting)
    assert calls == [[str(draw_over)]]  # a renamed file keeps its features, an edited one is recomputed


def test_fine_tune_trains_the_top_layers_and_keeps_the_frozen_ones(colour_photos):
    classifier = ImageClassifier("resnet18", weights=None, image_size=32)
    classifier.fit(colour_photos, epochs=1, verbose=0)
    weighted = [layer for layer in classifier.backbone.layers if layer.weights]
    bottom, top = weighted[0], weighted[-1]  # conv1 and the last block's batch normalization
    before_bottom, before_top = weights_of(bottom), weights_of(top)
    history = classifier.fine_tune(colour_photos, epochs=2, freeze_epochs=0, unfreeze=3, verbose=0)
    assert same(before_bottom, weights_of(bottom))  # frozen: weights and moving statistics
    assert not same(before_top, weights_of(top))
    assert all(layer.trainable for layer in weighted)  # the freezing is undone afterwards
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 2


def test_fine_tune_learning_rates_fall_tenfold_per_group_with_a_one_cycle_schedule(colour_photos, monkeypatch):
    seen = {}
    original = torch.optim.lr_scheduler.OneCycleLR.__init__

    def recording(self, optimizer, max_lr, **kwargs):
        seen.update(max_lr=list(max_lr), sizes=[len(group["params"]) for group in optimizer.param_groups], **kwargs)
        original(self, optimizer, max_lr, **kwargs)

    monkeypatch.setattr(torch.optim.lr_scheduler.OneCycleLR, "__init__", recording)
    classifier = ImageClassifier("resnet18", weights=None, image_size=32)
    classifier.fine_tune(colour_photos, epochs=1, freeze_epochs=0, learning_rate=1e-3, verbose=0)
    assert seen["max_lr"] == pytest.approx([1e-5, 1e-4, 1e-3])
    assert seen["sizes"][2] == 2  # the head: kernel and bias
    assert seen["pct_start"] == 0.3 and seen["total_steps"] == 1  # 30 training images, batches of 32


def test_a_given_backbone_model(colour_photos):
    inputs = Input((3, 24, 24))
    backbone = Model(inputs, GlobalAveragePooling2D()(Conv2D(8, 3, activation="relu")(inputs)), name="tiny")
    classifier = ImageClassifier(backbone)
    classifier.fit(colour_photos, epochs=2, verbose=0)
    assert classifier.transform.image_size == (24, 24)
    assert classifier.predict_proba(str(colour_photos / "red" / "00.png")).shape == (1, 3)
    maps = Model(inputs, Conv2D(8, 3)(inputs))
    with pytest.raises(ValueError, match="give feature vectors .* pooling='avg'"):
        ImageClassifier(maps)
    with pytest.raises(ValueError, match=r"image_size=32 differs from backbone 'tiny''s input \(24, 24\)"):
        ImageClassifier(backbone, image_size=32)


def test_errors_name_the_problem(trained, colour_photos, tmp_path):
    with pytest.raises(ValueError, match="invalid backbone='resnet81'. Did you mean 'resnet18'"):
        ImageClassifier("resnet81")
    with pytest.raises(ValueError, match=r"no model yet; call fit\(data\)"):
        ImageClassifier("resnet18", weights=None).predict("photo.jpg")
    classifier, _ = trained
    other = shutil.copytree(colour_photos, tmp_path / "other")
    shutil.rmtree(other / "red")
    with pytest.raises(ValueError, match=r"trained on classes \['blue', 'green', 'red'\]; the data has \['blue', "
                                         r"'green'\]"):
        classifier.fit(other, epochs=1, verbose=0)


def test_features_are_the_normalised_input_of_the_classifier(trained, colour_photos):
    classifier, _ = trained
    paths = [str(colour_photos / "blue" / "02.png"), str(colour_photos / "green" / "05.jpg")]
    features = classifier.features(paths)
    dataset = image_dataset(colour_photos, 32, classifier.transform.resize_size, validation_split=0)
    raw = classifier._features(dataset.train, 32, 0)[[dataset.train.paths.index(path) for path in paths]]
    np.testing.assert_allclose(features, raw / np.linalg.norm(raw, axis=1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_channels_last_images_train_predict_and_reload(colour_photos, tmp_path):
    lamina.config.set_image_data_format("channels_last")
    classifier = ImageClassifier("resnet18", weights=None, image_size=32)
    classifier.fit(colour_photos, epochs=2, verbose=0)
    assert classifier.input_shape() == (32, 32, 3) and tuple(classifier.model.inputs[0].shape) == (None, 32, 32, 3)
    classifier.save(tmp_path / "last.lamina")
    lamina.config.set_image_data_format("channels_first")
    loaded = load_model(tmp_path / "last.lamina")
    path = str(colour_photos / "red" / "07.jpg")
    np.testing.assert_allclose(loaded.predict_proba(path), classifier.predict_proba(path), atol=1e-6)
    history = classifier.fine_tune(colour_photos, epochs=1, freeze_epochs=0, verbose=0)
    assert len(history.history["loss"]) == 1
