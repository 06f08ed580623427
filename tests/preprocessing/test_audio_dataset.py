"""audio_dataset_from_directory against Keras 3's (TensorFlow underneath): the same files in the same subsets, the
same batches without shuffling, the same padding and cutting; resampling; errors."""
import numpy as np
import pytest
import soundfile

from lamina.utils import audio_dataset_from_directory
from oracle import keras


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    root = tmp_path_factory.mktemp("recordings")
    rng = np.random.default_rng(0)
    for name in ("no", "yes"):
        (root / name).mkdir()
        for index in range(5):
            samples = 0.5 * rng.uniform(-1, 1, (int(rng.integers(300, 900)), 1))
            soundfile.write(root / name / f"{index}.wav", samples, 8000, subtype="PCM_16")
    (root / "yes" / "notes.txt").write_text("not audio")
    return root


def batches_of(dataset):
    return [(np.asarray(audio), np.asarray(labels)) for audio, labels in dataset]


@pytest.mark.parametrize("arguments", [{"shuffle": False}, {"shuffle": False, "output_sequence_length": 500},
                                       {"seed": 3, "batch_size": 4, "label_mode": "categorical"},
                                       {"seed": 1, "validation_split": 0.3, "subset": "validation"},
                                       {"seed": 1, "validation_split": 0.3, "subset": "training",
                                        "label_mode": "binary", "shuffle": False}])
def test_batches_equal_keras(recordings, arguments):
    ours = audio_dataset_from_directory(recordings, verbose=False, **arguments)
    theirs = keras().utils.audio_dataset_from_directory(recordings, verbose=False, **arguments)
    assert ours.class_names == list(theirs.class_names)
    ours_pass, theirs_pass = batches_of(ours), batches_of(theirs)
    if arguments.get("shuffle", True):
        def contents(batches):
            return sorted((labels[index].tolist(), np.trim_zeros(audio[index, :, 0]).round(6).tolist())
                          for audio, labels in batches for index in range(len(audio)))
        assert contents(ours_pass) == contents(theirs_pass)
        return
    assert len(ours_pass) == len(theirs_pass)
    for (our_audio, our_labels), (their_audio, their_labels) in zip(ours_pass, theirs_pass):
        assert our_audio.shape == their_audio.shape and our_audio.dtype == np.float32
        np.testing.assert_allclose(our_audio, their_audio, atol=1e-7)
        np.testing.assert_array_equal(our_labels, their_labels)


def test_resampling_and_errors(recordings, tmp_path):
    dataset = audio_dataset_from_directory(recordings, sampling_rate=16000, batch_size=None, shuffle=False,
                                           verbose=False)
    audio, label = next(iter(dataset))
    original, _ = soundfile.read(dataset.file_paths[0])
    assert audio.shape == (2 * len(original), 1) and int(label) == 0
    with pytest.raises(ValueError, match="ragged=True is not available"):
        audio_dataset_from_directory(recordings, ragged=True)
    (tmp_path / "empty" / "class").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"No audio files found in .*empty'. Allowed formats: .wav, .flac, .ogg"):
        audio_dataset_from_directory(tmp_path / "empty", verbose=False)
