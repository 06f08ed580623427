"""Utilities with Keras's names: to_categorical, normalize, pad_sequences, Sequence, set_random_seed, and the
{image,text,audio}_dataset_from_directory readers."""
from lamina.utils.arrays import normalize, pad_sequences, to_categorical
from lamina.utils import np_utils
from lamina.utils.plot import model_to_dot, plot_model
from lamina.utils.progbar import Progbar
from lamina.utils.downloads import get_file
from lamina.utils.sequence import Sequence
from lamina.utils.seeding import set_random_seed
from lamina.utils.image_dataset import image_dataset_from_directory
from lamina.utils.audio_dataset import audio_dataset_from_directory
from lamina.utils.text_dataset import text_dataset_from_directory

__all__ = ["Progbar", "Sequence", "audio_dataset_from_directory", "get_file", "image_dataset_from_directory",
           "model_to_dot", "normalize", "np_utils", "pad_sequences", "plot_model", "set_random_seed",
           "text_dataset_from_directory", "to_categorical"]
