"""Similar images: features of a layer (against a sub-model computed directly), exact cosine search (against numpy
brute force, ties included), saving the index, near-duplicate groups, and the contact sheet's pixels."""
import os

import numpy as np
import pytest
import torch
from PIL import Image

from lamina.applications import MobileNetV2
from lamina.layers import Conv2D, Dense, Flatten, MaxPooling2D
from lamina.models import Model, Sequential
from lamina.utils import set_random_seed
from lamina.vision.features import extract_features
from lamina.vision.pictures import CAPTION, GAP, contact_sheet, thumbnail
from lamina.vision.similarity import SimilarityIndex, near_duplicates

MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
RNG = np.random.default_rng(5)


def normalized(rows):
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def convnet():
    """A small ConvNet on (3, 24, 32) images: conv (12) -> pool -> conv (24) -> hidden Dense (40) -> classifier."""
    set_random_seed(0)
    return Sequential([Conv2D(12, 3, activation="relu", padding="same", input_shape=(3, 24, 32), name="conv1"),
                       MaxPooling2D(2), Conv2D(24, 3, activation="relu", name="conv2"), Flatten(),
                       Dense(40, activation="relu", name="hidden"), Dense(5, activation="softmax")])


@pytest.fixture(scope="module")
def batch():
    return RNG.random((10, 3, 24, 32), dtype=np.float32)


def test_the_default_layer_is_the_input_of_the_last_dense_layer(convnet, batch):
    features = extract_features(convnet, batch, batch_size=4, verbose=0)
    expected = normalized(Model(convnet.input, convnet.get_layer("hidden").output).predict(batch))
    assert features.dtype == np.float32 and features.shape == (10, 40)
    np.testing.assert_allclose(features, expected, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1, atol=1e-6)


def test_a_named_layer_of_feature_maps_is_averaged_over_rows_and_columns(convnet, batch):
    maps = Model(convnet.input, convnet.get_layer("conv2").output).predict(batch)
    features = extract_features(convnet, torch.from_numpy(batch), layer="conv2", verbose=0)
    np.testing.assert_allclose(features, normalized(maps.mean(axis=(2, 3))), atol=1e-6)


def test_files_and_pil_images_are_center_cropped_resized_and_preprocessed(convnet, tmp_path):
    pixels = RNG.integers(0, 256, (3, 30, 48, 3), dtype=np.uint8)  # 48 x 30: the 4:3 crop is columns 4 to 44
    paths = [tmp_path / f"image_{index}.png" for index in range(3)]
    for path, image in zip(paths, pixels):
        Image.fromarray(image).save(path)
    resized = np.stack([np.asarray(Image.fromarray(image).resize((32, 24), Image.Resampling.BILINEAR,
                                                                   box=(4, 0, 44, 30))) for image in pixels])
    hidden = Model(convnet.input, convnet.get_layer("hidden").output)

    def expected(images):
        return normalized(hidden.predict(images.transpose(0, 3, 1, 2).astype(np.float32)))

    imagenet = (resized / 255 - MEAN) / STD
    np.testing.assert_allclose(extract_features(convnet, paths, verbose=0), expected(imagenet), atol=1e-5)
    opened = [Image.open(path) for path in paths]
    np.testing.assert_allclose(extract_features(convnet, opened, verbose=0), expected(imagenet), atol=1e-5)
    np.testing.assert_allclose(extract_features(convnet, [str(p) for p in paths], verbose=0, preprocess=None),
                               expected(resized.astype(np.float64)), atol=1e-5)
    np.testing.assert_allclose(extract_features(convnet, str(paths[1]), verbose=0, preprocess=lambda x: x / 255),
                               expected(resized[1:2] / 255), atol=1e-5)


def test_a_pretrained_style_backbone_keeps_its_mode_and_gives_its_pooled_features():
    set_random_seed(0)
    model = MobileNetV2(weights=None, include_top=True, classes=3, input_shape=(3, 32, 32))
    images = RNG.random((5, 3, 32, 32), dtype=np.float32)
    before_classifier = normalized(Model(model.input, model.get_layer("predictions").input).predict(images))
    model.train()
    np.testing.assert_allclose(extract_features(model, images, verbose=0), before_classifier, atol=1e-5)
    assert model.training and model.get_layer("bn_Conv1").training  # batch norm ran in inference mode, restored
    backbone = Model(model.input, model.get_layer("avg_pool").output)  # include_top=False, pooling='avg'
    np.testing.assert_allclose(extract_features(backbone, images, verbose=0), before_classifier, atol=1e-5)


def test_the_progress_bar_shows_only_when_verbose(convnet, batch, capsys):
    extract_features(convnet, batch, batch_size=5, verbose=0)
    assert "features" not in capsys.readouterr().err
    extract_features(convnet, batch, batch_size=5, verbose=1)
    assert "features" in capsys.readouterr().err


def test_extract_features_errors_name_the_problem(convnet, batch):
    with pytest.raises(TypeError, match="`model` must be a lamina model .* received Linear"):
        extract_features(torch.nn.Linear(2, 2), batch)
    with pytest.raises(ValueError, match="No layer named 'hiden'.* Did you mean 'hidden'"):
        extract_features(convnet, batch, layer="hiden")
    with pytest.raises(ValueError, match="`images` is empty"):
        extract_features(convnet, [])
    with pytest.raises(ValueError, match="needs a batch axis, received shape \\(3,\\)"):
        extract_features(convnet, np.zeros(3))
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer, received 0"):
        extract_features(convnet, batch, batch_size=0)
    with pytest.raises(ValueError, match="`preprocess` must be 'imagenet', None or a function"):
        extract_features(convnet, [Image.new("RGB", (8, 8))], preprocess="caffe")


def brute_force(vectors, queries, k):
    """numpy's exact answer: cosine scores, best first, equal scores in the order the vectors were added."""
    scores = normalized(queries.astype(np.float64)) @ normalized(vectors.astype(np.float64)).T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


@pytest.mark.parametrize("chunk_size", [37, 100_000])
def test_search_equals_a_numpy_brute_force(chunk_size):
    vectors, queries = RNG.standard_normal((300, 16)), RNG.standard_normal((20, 16))
    index = SimilarityIndex(chunk_size=chunk_size)
    for part in np.split(vectors, [100, 250]):
        index.add(part)
    ids, scores = index.search(queries, k=10)
    expected_ids, expected_scores = brute_force(vectors, queries, 10)
    assert len(index) == 300 and ids.dtype == np.int64 and scores.dtype == np.float32
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_allclose(scores, expected_scores, atol=1e-6)


@pytest.mark.parametrize("chunk_size", [7, 50, 1000])
def test_equal_scores_go_to_the_vector_added_first(chunk_size):
    vectors = np.eye(8, dtype=np.float32)[RNG.integers(0, 8, 200)]  # one-hot rows: every score is exactly 0 or 1
    queries = np.eye(8, dtype=np.float32)
    ids, scores = SimilarityIndex(chunk_size=chunk_size).add(vectors).search(queries, k=40)
    expected_ids, expected_scores = brute_force(vectors, queries, 40)
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_array_equal(scores, expected_scores)


def test_string_ids_one_query_and_an_atomic_save_and_load(tmp_path):
    vectors = RNG.standard_normal((30, 8)).astype(np.float32)
    names = [f"photo_{index}.jpg" for index in range(30)]
    index = SimilarityIndex(dim=8).add(torch.from_numpy(vectors), ids=names)
    ids, scores = index.search(vectors[4], k=3)
    assert ids.shape == scores.shape == (3,) and ids[0] == "photo_4" + ".jpg" and scores[0] == pytest.approx(1)
    path = tmp_path / "photos.index"
    index.save(path)
    assert os.listdir(tmp_path) == ["photos.index"]  # the temporary file was renamed into place
    loaded = SimilarityIndex.load(path)
    assert len(loaded) == 30 and loaded.ids == names and loaded.dim == 8
    loaded_ids, loaded_scores = loaded.search(vectors[4], k=3)
    np.testing.assert_array_equal(loaded_ids, ids)
    np.testing.assert_array_equal(loaded_scores, scores)
    np.testing.assert_array_equal(loaded.vectors.numpy(), index.vectors.numpy())


def test_similarity_index_errors_name_the_problem(tmp_path):
    index = SimilarityIndex().add(np.ones((4, 6)))
    with pytest.raises(ValueError, match="holds 6-dimensional vectors, but `queries` has 5 columns"):
        index.search(np.ones((1, 5)))
    with pytest.raises(ValueError, match="k=5 but the index holds 4 vectors"):
        index.search(np.ones(6), k=5)
    with pytest.raises(ValueError, match="3 vectors but 2 ids"):
        index.add(np.ones((3, 6)), ids=["a", "b"])
    with pytest.raises(TypeError, match="ids must be ints or strings .* received float 1.5"):
        index.add(np.ones((1, 6)), ids=[1.5])
    with pytest.raises(ValueError, match="`vectors` must be a numeric matrix \\(N, dim\\), received shape \\(6,\\)"):
        index.add(np.ones(6))
    other = tmp_path / "other.safetensors"
    import safetensors.torch
    safetensors.torch.save_file({"weights": torch.zeros(2)}, other)
    with pytest.raises(ValueError, match="is not a file written by SimilarityIndex.save"):
        SimilarityIndex.load(other)


def test_near_duplicates_finds_planted_groups_and_chains():
    vectors = RNG.standard_normal((200, 32))  # random pairs: cosine about N(0, 1/32), far below 0.95
    vectors[150] = vectors[5] + 0.01 * RNG.standard_normal(32)
    vectors[199] = 3 * vectors[5]  # the same direction, another length
    vectors[21] = vectors[20] + 0.01 * RNG.standard_normal(32)
    angle = np.arccos(0.96)  # 60 ~ 61 ~ 62 at cosine 0.96; 60 and 62 at cos(2 angle) = 0.84, linked through 61
    u, v = np.linalg.qr(RNG.standard_normal((32, 2)))[0].T
    vectors[60:63] = [np.cos(step * angle) * u + np.sin(step * angle) * v for step in range(3)]
    assert near_duplicates(vectors, threshold=0.95) == [[5, 150, 199], [20, 21], [60, 61, 62]]
    assert near_duplicates(torch.from_numpy(vectors), threshold=0.97) == [[5, 150, 199], [20, 21]]
    assert near_duplicates(np.eye(3)[[0, 1, 0, 2, 2]], threshold=1) == [[0, 2], [3, 4]]  # "at least": 1 >= 1
    with pytest.raises(ValueError, match="`threshold` must be a cosine similarity in \\[-1, 1\\], received 2"):
        near_duplicates(vectors, threshold=2)


def test_the_contact_sheet_shows_each_thumbnail_and_its_score(tmp_path):
    images = [Image.fromarray(RNG.integers(0, 256, (20 + 7 * i, 50 - 5 * i, 3), dtype=np.uint8)) for i in range(5)]
    path = tmp_path / "sheet.png"
    returned = contact_sheet(images[0], images[1:], [0.9, 0.8, 0.7, 0.6], path, names=["a", "b", "c", "d"],
                             tile=40, columns=3)
    sheet = np.asarray(Image.open(path))
    assert sheet.shape == (GAP + 2 * (40 + CAPTION + GAP), GAP + 3 * (40 + GAP), 3)
    np.testing.assert_array_equal(sheet, np.asarray(returned))
    for index, image in enumerate(images):
        row, column = divmod(index, 3)
        left, top = GAP + column * (40 + GAP), GAP + row * (40 + CAPTION + GAP)
        np.testing.assert_array_equal(sheet[top:top + 40, left:left + 40], np.asarray(thumbnail(image, 40)))
        assert (sheet[top + 40:top + 40 + CAPTION, left:left + 40] < 128).any()  # the caption's text
    with pytest.raises(ValueError, match="4 neighbours but 3 scores"):
        contact_sheet(images[0], images[1:], [0.9, 0.8, 0.7], path)


def test_a_thumbnail_fits_the_image_in_a_white_square():
    pixels = RNG.integers(0, 256, (30, 60, 3), dtype=np.uint8)
    square = np.asarray(thumbnail(pixels, 40))  # 60 x 30 -> 40 x 20, rows 10 to 30
    np.testing.assert_array_equal(square[10:30], np.asarray(Image.fromarray(pixels).resize(
        (40, 20), Image.Resampling.BILINEAR)))
    assert (square[:10] == 255).all() and (square[30:] == 255).all()


def test_an_image_list_gives_its_transform_and_imagenet_normalisation_in_batches(convnet, tmp_path):
    from lamina.vision.data import image_list

    for index in range(5):
        Image.fromarray(RNG.integers(0, 256, (30 + index, 50, 3), dtype=np.uint8)).save(tmp_path / f"{index}.png")
    files = image_list(tmp_path, image_size=(24, 32), resize_size=36)
    pixels = torch.stack([files.transform.load(path) for path in files.paths]).numpy().astype(np.float32)
    expected = extract_features(convnet, (pixels / 255 - MEAN[:, None, None]) / STD[:, None, None], verbose=0)
    np.testing.assert_allclose(extract_features(convnet, files, batch_size=2, verbose=0), expected, atol=1e-5)
    np.testing.assert_allclose(extract_features(convnet, files, preprocess=None, verbose=0),
                               extract_features(convnet, pixels, verbose=0), atol=1e-5)
