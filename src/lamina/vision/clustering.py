"""Clusters of images from their features (scikit-learn), scores against known classes, and a 2-D map (t-SNE).

The seed's figure compares clustering a ConvNet's features with clustering raw pixels: `compare_with_pixels`
scores both against the true classes.
"""
import numbers
from typing import NamedTuple

import numpy as np
import torch

from lamina.identifiers import check_choice
from lamina.vision.features import fitted_image

METHODS = ("kmeans", "agglomerative")
MAX_CLUSTERS = 10  # cluster() tries k = 2 ... min(MAX_CLUSTERS, samples - 1) when n_clusters is not given
SILHOUETTE_SAMPLES = 2000  # silhouette scores use at most this many samples (they cost samples squared)


class Clustering(NamedTuple):
    """What cluster() found: `labels` (N,) int, the number of clusters, and {k: silhouette} for each k tried."""

    labels: np.ndarray
    n_clusters: int
    silhouettes: dict


def cluster(features, n_clusters=None, method="kmeans", seed=0, max_clusters=MAX_CLUSTERS):
    """Clusters feature vectors with scikit-learn; with n_clusters=None, k is chosen by silhouette score.

    Args:
        features: (N, D) numpy array or tensor (e.g. extract_features' output).
        n_clusters: the number of clusters, or None to try k = 2 ... min(max_clusters, N - 1) and keep the one
            with the highest silhouette score (euclidean, on at most 2,000 samples; the first k of equal scores).
        method: 'kmeans' (sklearn KMeans, k-means++ with 10 restarts) or 'agglomerative' (Ward linkage).
        seed: seeds k-means' initialisation and the silhouette's sample.
        max_clusters: the largest k tried when n_clusters is None.

    Returns:
        A Clustering (labels, n_clusters, silhouettes): labels (N,) int64 numbered 0 ... k - 1, the k used, and
        {k: silhouette score} of each k tried ({} when n_clusters is given).

    Example:
        >>> labels, k, _ = cluster(extract_features(base, paths))
    """
    check_choice("method", method, METHODS, owner="cluster")
    data = _matrix(features, "cluster")
    if n_clusters is not None:
        k = _count("n_clusters", n_clusters, len(data), 1)
        return Clustering(_fit(data, k, method, seed), k, {})
    largest = min(_count("max_clusters", max_clusters, float("inf"), 2), len(data) - 1)
    if largest < 2:
        raise ValueError(f"cluster: choosing k needs at least 3 samples, received {len(data)}. Pass n_clusters.")
    from sklearn.metrics import silhouette_score

    candidates = {k: _fit(data, k, method, seed) for k in range(2, largest + 1)}
    sample = min(len(data), SILHOUETTE_SAMPLES)
    silhouettes = {k: float(silhouette_score(data, labels, sample_size=sample, random_state=seed))
                   for k, labels in candidates.items()}
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))
    return Clustering(candidates[best], best, silhouettes)


def _fit(data, k, method, seed):
    from sklearn.cluster import AgglomerativeClustering, KMeans

    if method == "kmeans":
        model = KMeans(n_clusters=k, n_init=10, random_state=seed)
    else:
        model = AgglomerativeClustering(n_clusters=k, linkage="ward")
    return model.fit_predict(data).astype(np.int64)


def cluster_scores(labels, truth):
    """How well clusters match known classes: {'nmi': normalized mutual information, 'ari': adjusted Rand index}.

    Both are 1 for a perfect match (whatever the cluster numbers) and about 0 for random labels; from
    sklearn.metrics (NMI with the arithmetic mean, sklearn's default).
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels, truth = np.asarray(labels), np.asarray(truth)
    if labels.shape != truth.shape or labels.ndim != 1:
        raise ValueError(f"cluster_scores: `labels` and `truth` must be 1-D and of the same length, received "
                         f"shapes {labels.shape} and {truth.shape}.")
    return {"nmi": float(normalized_mutual_info_score(truth, labels)),
            "ari": float(adjusted_rand_score(truth, labels))}


def pixel_features(images, size=(32, 32)):
    """Raw pixels as features: each image (path, PIL image or array) as RGB, center-cropped and resized to size=(height,
    width), scaled to [0, 1] and flattened: float32 (N, height * width * 3). The baseline of the seed's figure."""
    return np.stack([np.asarray(fitted_image(image, size), dtype=np.float32).reshape(-1) / 255 for image in images])


def compare_with_pixels(features, images, truth, n_clusters=None, method="kmeans", seed=0, size=(32, 32)):
    """Clusters `features` and the images' raw pixels the same way; scores both against the true classes.

    n_clusters defaults to the number of true classes. Returns {'features': {'nmi', 'ari'}, 'pixels': {...}}.

    Example:
        >>> compare_with_pixels(extract_features(model, paths), paths, labels)["features"]["nmi"]
    """
    k = len(np.unique(truth)) if n_clusters is None else n_clusters
    pixels = pixel_features(images, size)
    return {name: cluster_scores(cluster(data, k, method, seed).labels, truth)
            for name, data in (("features", features), ("pixels", pixels))}


def map_2d(features, seed=0, perplexity=30.0):
    """2-D coordinates of feature vectors by t-SNE (scikit-learn, PCA initialisation): float32 (N, 2).

    `seed` goes to scikit-learn's TSNE (with the PCA initialisation the map is deterministic anyway);
    perplexity is lowered to (N - 1) / 3 for small sets (t-SNE needs it below N).

    Example:
        >>> map_picture(map_2d(features), paths, "map.png")
    """
    from sklearn.manifold import TSNE

    data = _matrix(features, "map_2d")
    if len(data) < 4:
        raise ValueError(f"map_2d: t-SNE needs at least 4 samples, received {len(data)}.")
    perplexity = min(float(perplexity), (len(data) - 1) / 3)
    embedding = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
    return embedding.fit_transform(data).astype(np.float32)


def _matrix(features, owner):
    data = features.detach().cpu().numpy() if isinstance(features, torch.Tensor) else np.asarray(features)
    if data.ndim != 2 or data.dtype.kind not in "iuf" or len(data) < 2:
        raise ValueError(f"{owner}: `features` must be a numeric matrix (samples, features) with 2 samples or "
                         f"more, received shape {data.shape} of {data.dtype}.")
    return data.astype(np.float32, copy=False)


def _count(argument, value, limit, minimum):
    """value as an int in [minimum, limit], else a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not minimum <= value <= limit:
        raise ValueError(f"cluster: `{argument}` must be an integer from {minimum} to {limit}, received {value!r}.")
    return int(value)
