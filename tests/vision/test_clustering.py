"""Clusters: k chosen by silhouette on planted blobs, scores against scikit-learn's metrics, the raw-pixel baseline,
the t-SNE map and its picture, and one contact sheet per cluster."""
import numpy as np
import pytest
from PIL import Image
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score

from lamina.vision.clustering import (MAX_CLUSTERS, cluster, cluster_scores, compare_with_pixels, map_2d,
                                      pixel_features)
from lamina.vision.pictures import FRAME, GAP, PALETTE, cluster_sheets, map_picture, thumbnail

RNG = np.random.default_rng(3)


@pytest.fixture(scope="module")
def blobs():
    """Three tight, well separated groups of 20 points in 8 dimensions, and their group numbers."""
    centres = RNG.standard_normal((3, 8)) * 10
    truth = np.repeat([0, 1, 2], 20)
    return (centres[truth] + RNG.standard_normal((60, 8))).astype(np.float32), truth


def images(count, size=(30, 48)):
    return [Image.fromarray(RNG.integers(0, 256, size + (3,), dtype=np.uint8)) for _ in range(count)]


@pytest.mark.parametrize("method", ["kmeans", "agglomerative"])
def test_k_is_chosen_by_silhouette_and_the_clusters_are_the_blobs(blobs, method):
    features, truth = blobs
    labels, k, silhouettes = cluster(features, method=method)
    assert k == 3 and labels.dtype == np.int64 and sorted(set(labels)) == [0, 1, 2]
    assert adjusted_rand_score(truth, labels) == 1
    assert list(silhouettes) == list(range(2, MAX_CLUSTERS + 1)) and max(silhouettes, key=silhouettes.get) == 3
    assert silhouettes[3] == pytest.approx(silhouette_score(features, labels), abs=1e-6)


def test_a_given_k_is_used_and_few_samples_limit_the_ks_tried(blobs):
    features, _ = blobs
    overlapping = RNG.standard_normal((40, 5))
    np.testing.assert_array_equal(cluster(overlapping, 4, method="agglomerative").labels,
                                  AgglomerativeClustering(4, linkage="ward").fit_predict(overlapping))
    result = cluster(features, n_clusters=5)
    assert result.n_clusters == 5 and len(set(result.labels)) == 5 and result.silhouettes == {}
    assert list(cluster(features[:5], max_clusters=8).silhouettes) == [2, 3, 4]


def test_cluster_scores_are_scikit_learns_nmi_and_ari():
    truth, labels = RNG.integers(0, 4, 100), RNG.integers(0, 3, 100)
    labels[:60] = truth[:60]
    scores = cluster_scores(labels, truth)
    assert scores == {"nmi": pytest.approx(normalized_mutual_info_score(truth, labels)),
                      "ari": pytest.approx(adjusted_rand_score(truth, labels))}
    assert 0.2 < scores["nmi"] < 0.9
    assert cluster_scores([2, 2, 0, 0, 1], [0, 0, 1, 1, 2]) == {"nmi": pytest.approx(1), "ari": pytest.approx(1)}


def test_pixel_features_are_the_cropped_resized_pixels_in_unit_range(tmp_path):
    pictures = images(2)
    pictures[1].save(tmp_path / "second.png")
    pixels = pixel_features([pictures[0], tmp_path / "second.png"], size=(6, 8))  # 48 x 30 -> crop 40 x 30
    expected = [np.asarray(p.resize((8, 6), Image.Resampling.BILINEAR, box=(4, 0, 44, 30))) for p in pictures]
    assert pixels.dtype == np.float32 and pixels.shape == (2, 6 * 8 * 3)
    np.testing.assert_allclose(pixels, np.stack(expected).reshape(2, -1) / 255, atol=1e-7)


def test_compare_with_pixels_scores_features_and_raw_pixels_the_same_way():
    truth = np.repeat([0, 1, 2], 10)
    features = np.eye(3)[truth] + 0.01 * RNG.standard_normal((30, 3))
    result = compare_with_pixels(features, images(30, (12, 12)), truth, size=(12, 12))
    assert result["features"] == {"nmi": pytest.approx(1), "ari": pytest.approx(1)}
    assert result["pixels"]["nmi"] < 0.3  # noise images: no relation to the classes


def test_the_2d_map_keeps_the_blobs_apart_and_is_deterministic(blobs):
    features, truth = blobs
    coordinates = map_2d(features, seed=1)
    assert coordinates.shape == (60, 2) and coordinates.dtype == np.float32
    assert adjusted_rand_score(truth, cluster(coordinates, n_clusters=3).labels) == 1
    np.testing.assert_array_equal(map_2d(features, seed=1), coordinates)
    assert map_2d(features[:6]).shape == (6, 2)  # perplexity lowered below the sample count


def test_the_map_picture_puts_each_thumbnail_at_its_scaled_coordinates(tmp_path):
    pictures = images(3)
    coordinates = np.array([[-1.0, 2.0], [1.0, 3.0], [-1.0, 3.0]])  # both axes scaled by 148 / 2 (200 - 2 * 6 - 40)
    path = tmp_path / "map.png"
    map_picture(coordinates, pictures, path, size=200, thumbnail_size=40)
    canvas = np.asarray(Image.open(path))
    assert canvas.shape == (200, 200, 3)
    for picture, (left, top) in zip(pictures, [(6, 6), (154, 80), (6, 80)]):
        np.testing.assert_array_equal(canvas[top:top + 40, left:left + 40], np.asarray(thumbnail(picture, 40)))
    framed = np.asarray(map_picture(coordinates, pictures, tmp_path / "framed.png", labels=[5, 1, 17], size=200,
                                    thumbnail_size=40))
    assert (framed[6:6 + FRAME, 6:46] == PALETTE[5]).all() and (framed[80:80 + FRAME, 6:46] == PALETTE[7]).all()
    np.testing.assert_array_equal(framed[6 + FRAME:46 - FRAME, 6 + FRAME:46 - FRAME],
                                  np.asarray(thumbnail(pictures[0], 40))[FRAME:-FRAME, FRAME:-FRAME])


def test_one_contact_sheet_per_cluster_shows_its_members(tmp_path):
    pictures = images(6)
    paths = [tmp_path / f"photo_{index}.png" for index in range(6)]
    for picture, path in zip(pictures, paths):
        picture.save(path)
    written = cluster_sheets(paths, [1, 0, 1, 2, 0, 1], tmp_path, tile=32, columns=4)
    assert written == [str(tmp_path / f"cluster_{label}.png") for label in (0, 1, 2)]
    sheet = np.asarray(Image.open(written[1]))  # cluster 1: photos 0, 2 and 5, in one row
    assert sheet.shape[1] == GAP + 3 * (32 + GAP)
    for column, member in enumerate([0, 2, 5]):
        left = GAP + column * (32 + GAP)
        np.testing.assert_array_equal(sheet[GAP:GAP + 32, left:left + 32], np.asarray(thumbnail(pictures[member], 32)))


def test_clustering_errors_name_the_problem(blobs):
    features, _ = blobs
    with pytest.raises(ValueError, match="invalid method='kmean'. Did you mean 'kmeans'"):
        cluster(features, method="kmean")
    with pytest.raises(ValueError, match="`n_clusters` must be an integer from 1 to 60, received 0"):
        cluster(features, n_clusters=0)
    with pytest.raises(ValueError, match="choosing k needs at least 3 samples, received 2. Pass n_clusters"):
        cluster(features[:2])
    with pytest.raises(ValueError, match="`features` must be a numeric matrix"):
        cluster(features[0])
    with pytest.raises(ValueError, match="must be 1-D and of the same length, received shapes \\(3,\\) and \\(2,\\)"):
        cluster_scores([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="`coordinates` must be \\(N, 2\\) for N = 2 images"):
        map_picture(np.zeros((3, 2)), images(2), "unused.png")
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        cluster_sheets(images(3), [0, 1], ".")
