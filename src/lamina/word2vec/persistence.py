"""Saving and loading a whole Word2Vec model (to continue training) as JSON + safetensors in one zip; no pickle.

Example:
    >>> model.save("words.w2v")
    >>> model = Word2Vec.load("words.w2v")
    >>> model.train(more_sentences, total_examples=len(more_sentences), epochs=1)
"""
import json
import os
import zipfile

import numpy as np

from lamina.files import atomic_write_archive

FORMAT = "lamina-word2vec"
# The constructor arguments a saved model keeps (callbacks, device and progress belong to a session, not a model).
SETTINGS = ("vector_size", "window", "min_count", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "alpha",
            "min_alpha", "sample", "epochs", "workers", "seed", "max_vocab_size", "max_final_vocab", "shrink_windows",
            "compute_loss", "deterministic")
STATE = ("corpus_count", "corpus_total_words", "train_count", "effective_min_count", "min_alpha_yet_reached",
         "epoch_losses")


def save_model(model, path):
    """Writes the settings, vocabulary, counts, training state and all weights of `model`, atomically."""
    from safetensors.numpy import save as save_arrays

    metadata = {"format": FORMAT, "settings": {name: getattr(model, name) for name in SETTINGS},
                "state": {name: getattr(model, name, None) for name in STATE}, "keys": list(model.wv.index_to_key)}
    arrays = {"vectors": np.ascontiguousarray(model.wv.vectors), "syn1neg": model.syn1neg, "syn1": model.syn1,
              "counts": np.asarray([model.wv.get_vecattr(key, "count") for key in model.wv.index_to_key],
                                   dtype=np.int64)}
    atomic_write_archive(path, {"word2vec.json": json.dumps(metadata, ensure_ascii=False),
                                "weights.safetensors": save_arrays(arrays)})


def load_model(cls, path):
    """A Word2Vec model saved by save_model: training can continue with model.train(...)."""
    from safetensors.numpy import load as load_arrays

    if not os.path.isfile(path):
        raise FileNotFoundError(f"No Word2Vec model at '{path}'. Models are saved with model.save(path).")
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = json.loads(archive.read("word2vec.json"))
            arrays = load_arrays(archive.read("weights.safetensors"))
    except Exception as error:  # zip, JSON and safetensors decoding fail in many ways on other or damaged files
        raise ValueError(f"'{path}' is not a readable lamina Word2Vec model ({error!r}). Word vectors in "
                         f"word2vec.c format load with KeyedVectors.load_word2vec_format.") from error
    if metadata.get("format") != FORMAT:
        raise ValueError(f"'{path}' is not a lamina Word2Vec model file (format {metadata.get('format')!r}).")
    model = cls(**metadata["settings"])
    model._prepare(metadata["keys"], arrays["counts"])
    model.wv.vectors[...] = arrays["vectors"]
    model.syn1neg, model.syn1 = arrays["syn1neg"], arrays["syn1"]
    for name, value in metadata["state"].items():
        setattr(model, name, value)
    model.wv.fill_norms(force=True)
    return model
