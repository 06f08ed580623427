"""Exact cosine similarity search over feature vectors, and groups of near-duplicates.

Searching is a matrix product of the queries with the stored vectors, in chunks of rows so that memory stays at
(queries x chunk_size) scores, and a top-k per chunk merged into a running top-k. For 100,000 vectors or a few
million this is fast on a CPU and faster on a GPU; an approximate index (faiss, hnswlib) is not offered.
"""
import json
import numbers

import numpy as np
import safetensors.torch
import scipy.sparse
import torch
import torch.nn.functional as F
from scipy.sparse.csgraph import connected_components

from lamina.files import atomic_write
from lamina.layers.core import check_positive_int

FORMAT = "lamina.SimilarityIndex/1"
CHUNK_SCORES = 2**24  # near_duplicates compares rows in chunks of about this many scores


class SimilarityIndex:
    """Vectors with ids, searched by exact cosine similarity (vectors are L2-normalised when added).

    Args:
        dim: the vectors' length; None takes it from the first `add`.
        chunk_size: stored vectors scored per matrix product in `search`.
        device: where the vectors are kept and searched ('cpu' by default; e.g. 'cuda').

    Example:
        >>> index = SimilarityIndex()
        >>> index.add(extract_features(base, paths), ids=paths)
        >>> ids, scores = index.search(extract_features(base, ["query.jpg"]), k=5)
        >>> index.save("photos.index"); index = SimilarityIndex.load("photos.index")
    """

    def __init__(self, dim=None, chunk_size=65536, device=None):
        self.dim = None if dim is None else check_positive_int("SimilarityIndex", "dim", dim)
        self.chunk_size = check_positive_int("SimilarityIndex", "chunk_size", chunk_size)
        self.device = torch.device(device or "cpu")
        self._blocks = []  # tensors added since the last search, joined lazily
        self._ids = []

    def __len__(self):
        return len(self._ids)

    @property
    def ids(self):
        """The ids of the stored vectors, in the order they were added."""
        return list(self._ids)

    @property
    def vectors(self):
        """The stored (normalised) vectors, float32 (len(index), dim) on the index's device."""
        if len(self._blocks) != 1:
            self._blocks = [torch.cat(self._blocks) if self._blocks else torch.zeros(0, self.dim or 0, device=self.device)]
        return self._blocks[0]

    def add(self, vectors, ids=None):
        """Adds vectors (N, dim), numpy or torch; `ids` (ints or strings) default to their positions 0, 1, ...

        Returns the index itself.
        """
        vectors = self._matrix(vectors, "add", "vectors")
        ids = list(range(len(self), len(self) + len(vectors))) if ids is None else list(ids)
        if len(ids) != len(vectors):
            raise ValueError(f"SimilarityIndex.add: {len(vectors)} vectors but {len(ids)} ids; pass one id per "
                             f"vector.")
        wrong = next((value for value in ids if not isinstance(value, (str, numbers.Integral))), None)
        if wrong is not None:
            raise TypeError(f"SimilarityIndex.add: ids must be ints or strings (saved as JSON), received "
                            f"{type(wrong).__name__} {wrong!r}. Convert them, e.g. ids=[str(p) for p in paths].")
        self.dim = vectors.shape[1]
        self._blocks.append(vectors)
        self._ids.extend(value if isinstance(value, str) else int(value) for value in ids)
        return self

    def search(self, queries, k=5):
        """The k most similar stored vectors of each query, by cosine similarity; ties go to the first added.

        Args:
            queries: (Q, dim) or one vector (dim,), numpy or torch.
            k: neighbours per query, at most len(index).

        Returns:
            (ids, scores): a numpy array (Q, k) of ids (int64, or strings when the ids are strings) and float32
            cosine similarities (Q, k), best first. One vector in gives rows of shape (k,).
        """
        queries = _tensor(queries)
        single = queries.dim() == 1
        queries = self._matrix(queries[None] if single else queries, "search", "queries")
        k = check_positive_int("SimilarityIndex.search", "k", k)
        if k > len(self):
            raise ValueError(f"SimilarityIndex.search: k={k} but the index holds {len(self)} vectors; pass k <= "
                             f"{len(self)} or add more vectors.")
        vectors = self.vectors
        best_scores = torch.empty(len(queries), 0, device=self.device)
        best_positions = torch.empty(len(queries), 0, dtype=torch.int64, device=self.device)
        for start in range(0, len(vectors), self.chunk_size):
            scores = queries @ vectors[start:start + self.chunk_size].T
            chunk_scores, chunk_positions = _chunk_top(scores, min(k, scores.shape[1]))
            best_scores, best_positions = _first_k(torch.cat([best_scores, chunk_scores], 1),
                                                   torch.cat([best_positions, chunk_positions + start], 1), k)
        ids = np.asarray(self._ids)[best_positions.cpu().numpy()]
        scores = best_scores.cpu().numpy()
        return (ids[0], scores[0]) if single else (ids, scores)

    def save(self, path):
        """Writes the index to one safetensors file (vectors, and the ids as JSON metadata), atomically."""
        metadata = {"format": FORMAT, "ids": json.dumps(self._ids), "dim": json.dumps(self.dim)}
        atomic_write(path, safetensors.torch.save({"vectors": self.vectors.cpu().contiguous()}, metadata))

    @classmethod
    def load(cls, path, device=None):
        """Reads an index written by `save` (nothing in the file is executed or unpickled)."""
        with safetensors.safe_open(path, framework="pt") as handle:
            metadata = handle.metadata() or {}
            if metadata.get("format") != FORMAT:
                raise ValueError(f"SimilarityIndex.load: '{path}' is not a file written by SimilarityIndex.save "
                                 f"(format {metadata.get('format')!r}, expected {FORMAT!r}).")
            vectors = handle.get_tensor("vectors")
        index = cls(dim=json.loads(metadata["dim"]), device=device)
        index._blocks, index._ids = [vectors.to(index.device)], json.loads(metadata["ids"])
        return index

    def _matrix(self, values, method, argument):
        return normalized_rows(values, f"SimilarityIndex.{method}", argument, self.dim, self.device)


def normalized_rows(values, owner, argument, dim=None, device=None):
    """values (numpy or torch, (N, dim)) as a float32 tensor on `device` with L2-normalised rows."""
    matrix = _tensor(values)
    if matrix.dim() != 2 or not (matrix.is_floating_point() or matrix.dtype in (torch.int32, torch.int64)):
        raise ValueError(f"{owner}: `{argument}` must be a numeric matrix (N, dim), received shape "
                         f"{tuple(matrix.shape)} of {matrix.dtype}.")
    if dim is not None and matrix.shape[1] != dim:
        raise ValueError(f"{owner}: the index holds {dim}-dimensional vectors, but `{argument}` has "
                         f"{matrix.shape[1]} columns. Use the same model and layer for all.")
    return F.normalize(matrix.to(device, torch.float32), dim=1)


def _tensor(values):
    return values.detach() if isinstance(values, torch.Tensor) else torch.as_tensor(np.asarray(values))


def _chunk_top(scores, k):
    """(scores, positions) of the k best columns of each row, ties to the lowest position.

    torch.topk picks among equal scores arbitrarily. It is asked for one column more than needed: rows whose
    (k+1)-th score equals the k-th may have dropped a tied column of lower position, and are sorted whole,
    stably, instead.
    """
    extra = min(k + 1, scores.shape[1])
    top_scores, top_positions = scores.topk(extra, dim=1)
    spilled = torch.nonzero(top_scores[:, k - 1] == top_scores[:, extra - 1])[:, 0] if extra > k else []
    top_scores, top_positions = _first_k(top_scores[:, :k], top_positions[:, :k], k)
    if len(spilled):
        ordered_scores, ordered_positions = scores[spilled].sort(dim=1, descending=True, stable=True)
        top_scores[spilled], top_positions[spilled] = ordered_scores[:, :k], ordered_positions[:, :k]
    return top_scores, top_positions


def _first_k(scores, positions, k):
    """The k best (score, position) pairs of each row, ordered by score descending, then position ascending."""
    by_position = positions.argsort(dim=1, stable=True)
    scores, positions = scores.gather(1, by_position), positions.gather(1, by_position)
    by_score = scores.argsort(dim=1, descending=True, stable=True)[:, :k]
    return scores.gather(1, by_score), positions.gather(1, by_score)


def near_duplicates(vectors, threshold=0.95):
    """Groups of vectors whose cosine similarity is at least `threshold`, linked transitively.

    Two vectors are linked when their cosine similarity is >= threshold; a group is a connected component of
    those links with two members or more (a chain a~b~c is one group even if a and c are further apart).
    Rows are compared in chunks of about 16 million scores (64 MB).

    Args:
        vectors: (N, dim) features, numpy or torch (e.g. from extract_features).
        threshold: the cosine similarity from which two images count as duplicates, in [-1, 1].

    Returns:
        A list of groups, each a sorted list of row indices; groups ordered by their first index.

    Example:
        >>> groups = near_duplicates(extract_features(base, paths), threshold=0.97)
        >>> [[paths[i] for i in group] for group in groups]
    """
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not -1 <= threshold <= 1:
        raise ValueError(f"near_duplicates: `threshold` must be a cosine similarity in [-1, 1], received "
                         f"{threshold!r}.")
    matrix = normalized_rows(vectors, "near_duplicates", "vectors")
    count = len(matrix)
    chunk_size = max(1, CHUNK_SCORES // max(count, 1))
    links = [torch.zeros(0, 2, dtype=torch.int64)]
    for start in range(0, count, chunk_size):
        linked = torch.nonzero(matrix[start:start + chunk_size] @ matrix.T >= threshold)
        links.append(linked + torch.tensor([start, 0]))
    pairs = torch.cat(links).numpy()
    graph = scipy.sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(count, count))
    labels = connected_components(graph, directed=False)[1]
    groups = {}
    for position, label in enumerate(labels):
        groups.setdefault(label, []).append(position)
    return sorted((group for group in groups.values() if len(group) > 1), key=lambda group: group[0])
