"""Reading recordings: integer and float formats, stereo to mono, other sample rates (polyphase resampling, as
scipy's resample_poly), fitting to a length, windows, and unreadable or empty files skipped with one warning."""
import numpy as np
import pytest
import soundfile
from scipy import signal

from lamina.audio import (UnreadableAudioError, UnreadableAudioWarning, fit_length, read_audio, read_clips,
                          resample, windows)

RATE = 16000


def tone(frequency=440.0, seconds=0.5, rate=RATE, amplitude=0.5):
    return (amplitude * np.sin(2 * np.pi * frequency * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


@pytest.mark.parametrize("subtype, tolerance", [("PCM_U8", 1 / 64), ("PCM_16", 1 / 16384), ("PCM_24", 1e-6),
                                                ("FLOAT", 0), ("DOUBLE", 0)])
def test_integer_and_float_files_read_as_float32_in_minus_one_to_one(tmp_path, subtype, tolerance):
    path = tmp_path / f"{subtype}.wav"
    soundfile.write(path, tone(), RATE, subtype=subtype)
    samples, rate = read_audio(path)
    assert samples.dtype == np.float32 and rate == RATE and samples.shape == (8000,)
    np.testing.assert_allclose(samples, tone(), atol=tolerance)


def test_flac_and_ogg_and_stereo_to_mono(tmp_path):
    left, right = tone(440), tone(660, amplitude=0.25)
    soundfile.write(tmp_path / "stereo.flac", np.stack([left, right], axis=1), RATE)
    mono, _ = read_audio(tmp_path / "stereo.flac")
    np.testing.assert_allclose(mono, (left + right) / 2, atol=1 / 16384)
    channels, _ = read_audio(tmp_path / "stereo.flac", mono=False)
    assert channels.shape == (2, 8000)
    soundfile.write(tmp_path / "tone.ogg", left, RATE)
    samples, _ = read_audio(tmp_path / "tone.ogg")
    assert abs(len(samples) - 8000) < 1024 and np.abs(samples).max() > 0.4  # lossy, but the tone


def test_other_sample_rates_are_resampled_by_a_polyphase_filter(tmp_path):
    soundfile.write(tmp_path / "44k.wav", tone(rate=44100), 44100, subtype="FLOAT")
    samples, rate = read_audio(tmp_path / "44k.wav", sample_rate=RATE)
    assert rate == RATE and samples.shape == (8000,)
    np.testing.assert_allclose(samples, signal.resample_poly(tone(rate=44100), 160, 441).astype(np.float32))
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) == round(440 * len(samples) / RATE)  # still a 440 Hz tone
    np.testing.assert_array_equal(resample(tone(), RATE, RATE), tone())


def test_fitting_lengths_and_cutting_windows():
    samples = np.arange(10, dtype=np.float32)
    np.testing.assert_array_equal(fit_length(samples, 4), [0, 1, 2, 3])
    np.testing.assert_array_equal(fit_length(samples, 12), list(range(10)) + [0, 0])
    cut = windows(samples, 4)
    assert cut.shape == (3, 4) and cut[2].tolist() == [8, 9, 0, 0]
    assert windows(samples, 4, hop=3).shape == (3, 4) and windows(samples[:2], 4).shape == (1, 4)


def test_unreadable_and_empty_files_are_skipped_with_one_warning(tmp_path):
    soundfile.write(tmp_path / "good.wav", tone(), RATE)
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    (tmp_path / "notes.wav").write_text("not audio")
    soundfile.write(tmp_path / "empty.wav", np.zeros(0, np.float32), RATE)
    paths = [tmp_path / name for name in ("good.wav", "corrupt.wav", "notes.wav", "empty.wav")]
    with pytest.warns(UnreadableAudioWarning) as caught:
        clips, kept = read_clips(paths, 8000, 4000)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("Skipped 3 unreadable recording(s)")
    assert "corrupt.wav" in message and "notes.wav" in message and "empty.wav' holds no samples" in message
    assert clips.shape == (1, 4000) and kept == [str(paths[0])]
    with pytest.raises(UnreadableAudioError, match="notes.wav' is not a readable recording"):
        read_audio(paths[2])
