"""audio_dataset_from_directory: batches of (waveforms, labels) read from recordings, one subfolder per class."""
import os

import torch

from lamina.utils.image_dataset import DirectoryDataset, directory_datasets

OWNER = "audio_dataset_from_directory"


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                 sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None, follow_links=False, verbose=True):
    """A re-iterable dataset of `(audio, labels)` batches from a folder of recordings, as Keras's.

    Files are listed, labelled, shuffled (once, with `seed`) and split as Keras does. `audio` is a float32 tensor
    (batch, samples, channels), Keras's layout, with values in [-1, 1]; wav, flac and ogg files are read
    (Keras reads wav only).

    Args:
        directory: the folder, with one subfolder per class (labels='inferred').
        labels, label_mode, class_names, shuffle, seed, validation_split, subset, follow_links, verbose: as in
            image_dataset_from_directory.
        batch_size: recordings per batch; None yields single recordings.
        sampling_rate: resample every file to this rate (Hz), by a polyphase filter; None keeps each file's rate.
        output_sequence_length: cut or zero-pad every recording to this many samples; None pads each batch to its
            longest recording.
        ragged: not available (torch has no ragged tensors); pad with output_sequence_length.

    Example:
        >>> train, validation = audio_dataset_from_directory("speech_commands", validation_split=0.2,
        ...                                                  subset="both", seed=0, output_sequence_length=16000)
    """
    from lamina.audio.reading import EXTENSIONS  # lamina.audio imports lamina.utils: imported when called

    if ragged:
        raise ValueError(f"{OWNER}: ragged=True is not available (torch has no ragged tensors); pass "
                         f"output_sequence_length, or leave it None to pad each batch to its longest recording.")

    def make_dataset(paths, part_labels, label_mode, class_names, shuffle, seed):
        return AudioDirectoryDataset(paths, part_labels, label_mode, class_names, batch_size, sampling_rate,
                                     output_sequence_length, shuffle, seed)

    return directory_datasets(OWNER, "audio", EXTENSIONS, make_dataset, os.fspath(directory), labels, label_mode,
                              class_names, shuffle, seed, validation_split, subset, follow_links, verbose)


class AudioDirectoryDataset(DirectoryDataset):
    """Batches of `(audio, labels)` (or audio), audio (batch, samples, channels); each iteration is one epoch."""

    def __init__(self, file_paths, labels, label_mode, class_names, batch_size, sampling_rate,
                 output_sequence_length, shuffle, seed):
        super().__init__(file_paths, labels, label_mode, class_names, batch_size, shuffle, seed)
        self.sampling_rate, self.output_sequence_length = sampling_rate, output_sequence_length

    def load(self, path):
        """One recording as (samples, channels) float32, at sampling_rate, cut or padded."""
        from lamina.audio.reading import read_audio

        samples, _ = read_audio(path, self.sampling_rate, mono=False)
        if self.output_sequence_length is not None:
            samples = samples[:, :self.output_sequence_length]
        return torch.from_numpy(samples.T.copy())

    def stack(self, recordings):
        """Zero-pads the recordings to output_sequence_length (or the longest) and stacks them."""
        length = self.output_sequence_length or max(len(recording) for recording in recordings)
        channels = {recording.shape[1] for recording in recordings}
        if len(channels) > 1:
            raise ValueError(f"{OWNER}: a batch mixes recordings with {sorted(channels)} channels; convert the "
                             f"files to one channel count (or read them with lamina.audio.read_audio, mono=True).")
        batch = torch.zeros(len(recordings), length, channels.pop())
        for index, recording in enumerate(recordings):
            batch[index, :len(recording)] = recording
        return batch
