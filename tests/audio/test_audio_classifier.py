"""lamina.audio.AudioClassifier on generated recordings (tones, chirps, noise bursts, pitch, level and timing
varied): high held-out accuracy from raw waveforms, file-name labels with a speaker-grouped split, save/load,
spectrogram heatmaps; the spectrogram in the model equals the layer's."""
import numpy as np
import pytest
import torch
from PIL import Image

from lamina.audio import (AudioClassifier, Prediction, grouped_validation_mask, labelled_recordings, load_model,
                          read_clips)
from lamina.datasets import sounds
from lamina.layers import MelSpectrogram
from lamina.utils import set_random_seed


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("sounds")
    sounds.make_folder(root / "train", per_class=48, seed=0)
    sounds.make_folder(root / "test", per_class=20, seed=1)
    return root


@pytest.fixture(scope="module")
def trained(folder):
    set_random_seed(0)
    classifier = AudioClassifier(sample_rate=8000, duration=1.0, n_mels=32)
    history = classifier.fit(folder / "train", epochs=14, verbose=0)
    return classifier, history


def test_a_cnn_on_mel_spectrograms_learns_tones_chirps_and_noise(trained, folder):
    classifier, history = trained
    assert classifier.class_names == ["chirp", "noise", "tone"]
    result = classifier.evaluate(folder / "test")
    assert result["accuracy"] >= 0.9, result["report"]
    assert result["probabilities"].shape == (60, 3)
    predictions = classifier.predict([str(folder / "test" / "tone" / "tone_anna_0.wav")])
    assert isinstance(predictions[0], Prediction) and predictions[0].label == "tone"


def test_the_saved_model_computes_the_spectrogram_itself(trained, folder, tmp_path):
    classifier, _ = trained
    classifier.save(tmp_path / "sounds.lamina")
    loaded = load_model(tmp_path / "sounds.lamina")
    paths = [str(path) for path in sorted((folder / "test" / "noise").iterdir())[:5]]
    np.testing.assert_array_equal(loaded.predict_proba(paths), classifier.predict_proba(paths))
    clips, _ = read_clips(paths[:1], 8000, 8000)
    layer = MelSpectrogram(sample_rate=8000, n_fft=256, hop_length=80, n_mels=32, to_db=True)
    np.testing.assert_allclose(loaded.spectrogram(clips[0]), layer(torch.from_numpy(clips[:, None]))[0].numpy(),
                               atol=1e-4)
    waveform_predictions = loaded.predict(clips[0])  # a waveform at the sample rate, not a file
    assert waveform_predictions == loaded.predict(paths[:1])


@pytest.mark.parametrize("method", ["occlusion", "grad_cam"])
def test_heatmaps_over_the_spectrogram(trained, folder, tmp_path, method):
    classifier, _ = trained
    path = folder / "test" / "tone" / "tone_ben_1.wav"
    heatmap, target = classifier.explain(str(path), tmp_path / "heatmap.png", method=method)
    assert heatmap.shape == (32, 101) and classifier.class_names[target] == "tone"
    with Image.open(tmp_path / "heatmap.png") as picture:
        assert picture.size == (101 * 4, 32 * 4)
    if method == "occlusion":  # the tone's frames matter more than the silence around it
        energy = classifier.spectrogram(str(path))[0].max(axis=0)
        loud = energy > energy.max() - 20
        assert heatmap[:, loud].mean() > heatmap[:, ~loud].mean()


def test_file_name_labels_and_a_split_that_keeps_speakers_apart(folder):
    recordings = labelled_recordings(folder / "train", "{label}_{speaker}_{n}.wav")
    assert len(recordings) == 144 and set(recordings.labels) == {"chirp", "noise", "tone"}
    assert set(recordings.fields) == {"speaker", "n"} and set(recordings.fields["speaker"]) == set(sounds.SPEAKERS)
    held_out = grouped_validation_mask(recordings.fields["speaker"], 0.25, seed=0)
    speakers = np.array(recordings.fields["speaker"])
    assert not set(speakers[held_out]) & set(speakers[~held_out]) and held_out.mean() == 0.25
    chosen = {frozenset(speakers[grouped_validation_mask(speakers, 0.25, seed)]) for seed in range(8)}
    assert len(chosen) > 1  # the seed picks the speakers
    set_random_seed(0)
    classifier = AudioClassifier("cnn1d", sample_rate=8000, duration=1.0, n_mels=32)
    history = classifier.fit(folder / "train", pattern="{label}_{speaker}_{n}.wav", group="speaker", epochs=2,
                             verbose=0)
    assert len(history.history["val_accuracy"]) == 2


def test_bad_input_is_named(folder, tmp_path):
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "recording.wav").write_bytes(next((folder / "train" / "tone").iterdir()).read_bytes())
    with pytest.raises(ValueError, match=r"1 file\(s\) in .* do not match the pattern '\{label\}_\{n\}.wav', e.g. "
                                         r"recording.wav"):
        labelled_recordings(tmp_path / "odd", "{label}_{n}.wav")
    with pytest.raises(ValueError, match=r"has no \{label\} field"):
        labelled_recordings(tmp_path / "odd", "{speaker}.wav")
    with pytest.raises(ValueError, match=r"No recordings \(.wav, .flac, .ogg\) in class subfolders of"):
        labelled_recordings(tmp_path / "odd")
    classifier = AudioClassifier(sample_rate=8000)
    with pytest.raises(ValueError, match=r"AudioClassifier.predict: the classifier has no model yet"):
        classifier.predict([np.zeros(8000)])
    with pytest.raises(ValueError, match=r"group='speakers' is not a field of the pattern"):
        classifier.fit(folder / "train", pattern="{label}_{speaker}_{n}.wav", group="speakers")
    with pytest.raises(ValueError, match=r"pass one label per recording: 2 recordings, 1 labels"):
        classifier.fit(np.zeros((2, 8000)), ["a"])
    with pytest.raises(ValueError, match=r"A grouped split needs at least 2 groups"):
        grouped_validation_mask(["a", "a"], 0.5)
    with pytest.raises(ValueError, match="invalid architecture='cnn3d'"):
        AudioClassifier("cnn3d")
