"""Word vectors: train with `Word2Vec`, query with `KeyedVectors`, stream files with `LineSentence`."""

from lamina.word2vec.corpus import LineSentence
from lamina.word2vec.keyed_vectors import KeyedVectors
from lamina.word2vec.model import Word2Vec

__all__ = ["KeyedVectors", "LineSentence", "Word2Vec"]
