"""Utilities with Keras's names: to_categorical, normalize, pad_sequences, Sequence, set_random_seed."""
from lamina.utils.arrays import normalize, pad_sequences, to_categorical
from lamina.utils.sequence import Sequence
from lamina.utils.seeding import set_random_seed

__all__ = ["Sequence", "normalize", "pad_sequences", "set_random_seed", "to_categorical"]
