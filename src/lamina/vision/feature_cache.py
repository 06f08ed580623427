"""A frozen backbone's features, computed once per image and reused: in memory, and on disk when given a folder.

An entry's key is a hash of the image file's contents, in a table per backbone state: a hash of the backbone's
name, input transform and weights. A file renamed or moved keeps its features; a file edited, another transform,
or a backbone changed by fine-tuning gets new ones. A folder holds one safetensors file per backbone state.
"""
import concurrent.futures
import hashlib
import json
import os

import numpy as np
import safetensors.numpy
import torch

from lamina.files import atomic_write
from lamina.vision.loading import default_workers

KEY_BYTES = 16


def file_keys(paths, workers=None):
    """The hash of each file's contents (hashlib releases the GIL, so threads read and hash in parallel)."""
    def key(path):
        digest = hashlib.blake2b(digest_size=KEY_BYTES)
        with open(path, "rb") as file:
            while block := file.read(1 << 20):
                digest.update(block)
        return digest.digest()

    with concurrent.futures.ThreadPoolExecutor(workers or default_workers()) as pool:
        return list(pool.map(key, paths))


def backbone_key(name, transform, data_format, model):
    """A hash of what decides a backbone's features: its name, the input transform and every weight."""
    digest = hashlib.blake2b(digest_size=KEY_BYTES)
    digest.update(json.dumps([name, transform.get_config(), data_format]).encode())
    for weight_name, tensor in model.state_dict().items():
        digest.update(weight_name.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class FeatureCache:
    """Features by (backbone key, file key), kept in memory and, with a `folder`, in `folder/<backbone key>.safetensors`.

    Example:
        >>> cache = FeatureCache("~/.cache/lamina/features")
        >>> features = cache.features(key, paths, compute)   # compute(paths) -> (len(paths), D) float32
    """

    def __init__(self, folder=None):
        self.folder = None if folder is None else os.path.expanduser(os.fspath(folder))
        self.tables = {}

    def features(self, backbone, paths, compute, workers=None):
        """(len(paths), D) float32 features: the stored rows, and compute(missing paths) for the others."""
        table = self._table(backbone)
        keys = file_keys(paths, workers)
        missing = [index for index, key in enumerate(keys) if key not in table]
        if missing:
            rows = np.asarray(compute([paths[index] for index in missing]), dtype=np.float32)
            table.update((keys[index], row) for index, row in zip(missing, rows))
            self._store(backbone, table)
        return np.stack([table[key] for key in keys]) if keys else np.zeros((0, 0), np.float32)

    def _table(self, backbone):
        if backbone not in self.tables:
            self.tables[backbone] = {}
            path = self._path(backbone)
            if path is not None and os.path.isfile(path):
                stored = safetensors.numpy.load_file(path)
                self.tables[backbone] = {bytes(key): row for key, row in zip(stored["keys"], stored["features"])}
        return self.tables[backbone]

    def _store(self, backbone, table):
        path = self._path(backbone)
        if path is None:
            return
        os.makedirs(self.folder, exist_ok=True)
        keys = np.frombuffer(b"".join(table), dtype=np.uint8).reshape(len(table), KEY_BYTES)
        atomic_write(path, safetensors.numpy.save({"keys": keys, "features": np.stack(list(table.values()))}))

    def _path(self, backbone):
        return None if self.folder is None else os.path.join(self.folder, f"{backbone}.safetensors")
