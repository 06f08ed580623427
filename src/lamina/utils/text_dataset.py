"""text_dataset_from_directory: batches of (texts, labels) read from `.txt` files, one subfolder per class."""
import os

import numpy as np

from lamina.utils.image_dataset import DirectoryDataset, directory_datasets

OWNER = "text_dataset_from_directory"


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """A re-iterable dataset of `(texts, labels)` batches from a folder of `.txt` files, as Keras's.

    Files are listed, labelled, shuffled (once, with `seed`) and split exactly as Keras does, so the same seed
    gives the same files in the same batches. `texts` is a numpy array of Python strings (each file decoded as
    UTF-8), which `TextVectorization` takes; labels are torch tensors as in `image_dataset_from_directory`.

    Args:
        directory: the folder, with one subfolder per class (labels='inferred').
        labels: 'inferred', None (texts only), or one integer label per file in sorted path order.
        label_mode: 'int', 'categorical', 'binary' or None.
        class_names: subfolders to use, in this order.
        batch_size: texts per batch; None yields single texts.
        max_length: keep at most this many bytes of each file (Keras cuts bytes, tf.strings.substr); a
            character cut in two is dropped.
        shuffle, seed, validation_split, subset, follow_links: as in image_dataset_from_directory.

    Raises:
        ValueError: a file is not UTF-8 (the message names the file and the line).

    Example:
        >>> train, validation = text_dataset_from_directory("aclImdb/train", validation_split=0.2,
        ...                                                 subset="both", seed=1337)
        >>> vectorize.adapt(train)            # TextVectorization takes (texts, labels) batches
    """
    def make_dataset(paths, part_labels, label_mode, class_names, shuffle, seed):
        return TextDirectoryDataset(paths, part_labels, label_mode, class_names, batch_size, max_length, shuffle, seed)

    return directory_datasets(OWNER, "text", ("txt",), make_dataset, os.fspath(directory), labels, label_mode,
                              class_names, shuffle, seed, validation_split, subset, follow_links, verbose)


class TextDirectoryDataset(DirectoryDataset):
    """Batches of `(texts, labels)` (or texts); each iteration is one epoch. Attributes: class_names, file_paths."""

    def __init__(self, file_paths, labels, label_mode, class_names, batch_size, max_length, shuffle, seed):
        super().__init__(file_paths, labels, label_mode, class_names, batch_size, shuffle, seed)
        self.max_length = max_length

    @staticmethod
    def stack(texts):
        return np.array(texts, dtype=object)

    def load(self, path):
        """One file's text (its first max_length bytes), decoded as UTF-8."""
        with open(path, "rb") as file:
            data = file.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[:error.start].count(b"\n") + 1
            raise ValueError(f"{OWNER}: {path!r} is not UTF-8 text: byte {error.start} (line {line}) is "
                             f"{data[error.start:error.start + 1]!r}. Convert the file to UTF-8.") from None
        if self.max_length is not None:
            text = data[:self.max_length].decode("utf-8", errors="ignore")
        return text
