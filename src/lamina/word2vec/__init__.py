"""Word vectors: train with `Word2Vec`, query with `KeyedVectors`, stream files with `LineSentence`."""

from lamina.word2vec.corpus import LineSentence
from lamina.word2vec.keyed_vectors import KeyedVectors
from lamina.word2vec.model import Word2Vec
from lamina.word2vec.vocabulary import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP

__all__ = ["KeyedVectors", "LineSentence", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "Word2Vec"]
