"""The spectrogram layers against librosa (a dev-only oracle) for several settings, in float64 and float32, with
gradients, inside saved models; the audio augmentation layers are the identity in inference."""
import librosa
import numpy as np
import pytest
import torch

from lamina.layers import (MFCC, FrequencyMasking, Input, MelSpectrogram, RandomGain, RandomTimeShift, Spectrogram,
                           TimeMasking)
from lamina.models import Model, load_model
from oracle import check_layer_contract

RATE = 8000


def waveforms(count=3, length=4000, seed=0):
    rng = np.random.default_rng(seed)
    time = np.arange(length) / RATE
    tones = np.sin(2 * np.pi * rng.uniform(200, 2000, (count, 1)) * time)
    return (0.5 * tones + 0.05 * rng.standard_normal((count, length))).astype(np.float64)


def relative_error(ours, reference):
    return np.abs(ours - reference).max() / np.abs(reference).max()


@pytest.mark.parametrize("settings", [
    dict(n_fft=512),
    dict(n_fft=512, hop_length=100, win_length=400, window="hamming", center=False),
    dict(n_fft=256, power=1.0, pad_mode="reflect"),
    dict(n_fft=1024, hop_length=256, window="blackman"),
])
def test_spectrogram_equals_librosa_stft(settings):
    y = waveforms()
    ours = Spectrogram(**settings)(torch.from_numpy(y)).numpy()
    stft_settings = {key: value for key, value in settings.items() if key != "power"}
    reference = np.stack([np.abs(librosa.stft(row, **stft_settings)) ** settings.get("power", 2.0) for row in y])
    assert ours.shape == reference.shape
    assert relative_error(ours, reference) < 1e-6


@pytest.mark.parametrize("settings", [
    dict(),
    dict(htk=True, norm=None, fmin=50.0, fmax=3000.0, n_mels=40),
    dict(n_mels=64, fmin=300.0, power=1.0),
])
def test_mel_spectrogram_equals_librosa(settings):
    y = waveforms()
    ours = MelSpectrogram(sample_rate=RATE, n_fft=512, hop_length=128, **settings)(torch.from_numpy(y)).numpy()
    reference = np.stack([librosa.feature.melspectrogram(y=row, sr=RATE, n_fft=512, hop_length=128, **settings)
                          for row in y])
    assert relative_error(ours, reference) < 1e-6
    filters = librosa.filters.mel(sr=RATE, n_fft=512, **{key: value for key, value in settings.items()
                                                          if key != "power"})
    np.testing.assert_allclose(MelSpectrogram(sample_rate=RATE, n_fft=512, **{
        key: value for key, value in settings.items() if key != "power"}).filters.numpy(), filters, atol=1e-7)


@pytest.mark.parametrize("top_db", [80.0, 40.0, None])
def test_decibels_equal_power_to_db_per_clip(top_db):
    y = waveforms() * np.array([[1.0], [0.01], [0.3]])  # very different levels: the floor is per clip
    ours = MelSpectrogram(sample_rate=RATE, n_fft=512, hop_length=128, to_db=True, top_db=top_db)(torch.from_numpy(y))
    reference = np.stack([librosa.power_to_db(librosa.feature.melspectrogram(y=row, sr=RATE, n_fft=512,
                                                                             hop_length=128), top_db=top_db)
                          for row in y])
    np.testing.assert_allclose(ours.numpy(), reference, atol=1e-4)  # librosa's mel filters are float32
    magnitude = Spectrogram(n_fft=256, power=1.0, to_db=True, amin=1e-5)(torch.from_numpy(y)).numpy()
    np.testing.assert_allclose(magnitude, np.stack([librosa.amplitude_to_db(np.abs(librosa.stft(row, n_fft=256)))
                                                    for row in y]), atol=1e-8)


@pytest.mark.parametrize("settings", [dict(n_mfcc=13, n_mels=40), dict(n_mfcc=20, n_mels=128, htk=True)])
def test_mfcc_equals_librosa(settings):
    y = waveforms()
    ours = MFCC(sample_rate=RATE, n_fft=512, hop_length=128, **settings)(torch.from_numpy(y)).numpy()
    reference = np.stack([librosa.feature.mfcc(y=row, sr=RATE, n_fft=512, hop_length=128, **settings) for row in y])
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, atol=1e-4 * np.abs(reference).max())


def test_float32_gives_the_float64_numbers_and_channels_are_kept():
    y = waveforms()
    layer = MelSpectrogram(sample_rate=RATE, n_fft=512, hop_length=128, to_db=True)
    double, single = layer(torch.from_numpy(y)), layer(torch.from_numpy(y).float())
    assert single.dtype == torch.float32 and double.dtype == torch.float64
    np.testing.assert_allclose(single.numpy(), double.numpy(), atol=1e-3)  # dB of float32 powers
    stacked = layer(torch.from_numpy(y)[:, None])
    assert stacked.shape == (3, 1, 128, 32)
    np.testing.assert_array_equal(stacked[:, 0].numpy(), double.numpy())


def test_gradients_flow_to_the_waveform():
    y = torch.from_numpy(waveforms(2, 600)).requires_grad_()
    for layer in (Spectrogram(n_fft=128), MelSpectrogram(sample_rate=RATE, n_fft=128, n_mels=16),
                  MFCC(sample_rate=RATE, n_fft=128, n_mels=16, n_mfcc=8)):
        assert torch.autograd.gradcheck(lambda x: layer(x).sum(), (y[:, :300],), eps=1e-6, atol=1e-4)
        layer(y).sum().backward()
        assert torch.isfinite(y.grad).all() and y.grad.abs().sum() > 0
        y.grad = None


def test_a_saved_model_computes_its_spectrograms_after_load(tmp_path):
    audio = Input((1, 4000))
    outputs = MFCC(sample_rate=RATE, n_fft=512, hop_length=128, n_mels=40, n_mfcc=13)(audio)
    model = Model(audio, outputs)
    assert model.output.shape == (None, 1, 13, 32)
    model.save(tmp_path / "mfcc.lamina")
    x = waveforms(2)[:, None].astype(np.float32)
    np.testing.assert_array_equal(load_model(tmp_path / "mfcc.lamina").predict(x), model.predict(x))
    assert model.get_weights() == [] and "filters" not in model.state_dict()
    for make in (lambda: Spectrogram(n_fft=256), lambda: MelSpectrogram(sample_rate=RATE, n_fft=256, n_mels=20),
                 lambda: MFCC(sample_rate=RATE, n_fft=256, n_mels=20, n_mfcc=5), lambda: TimeMasking(4),
                 lambda: FrequencyMasking(3, count=2), lambda: RandomGain(), lambda: RandomTimeShift(50)):
        check_layer_contract(make, waveforms(2, 1000)[:, None].astype(np.float32))


def test_augmentation_is_the_identity_in_inference_and_random_in_training():
    torch.manual_seed(0)
    spectrum = torch.rand(8, 1, 20, 30) + 1
    for layer, axis in ((TimeMasking(5, count=2), -1), (FrequencyMasking(4), -2)):
        assert torch.equal(layer(spectrum, training=False), spectrum)
        masked = layer(spectrum, training=True)
        zeros = (masked == 0)
        assert zeros.any() and (masked[~zeros] == spectrum[~zeros]).all()
        other = -2 if axis == -1 else -1
        assert torch.equal(zeros.all(dim=other), zeros.any(dim=other))  # whole columns (rows) are masked
        assert zeros.any(dim=other).sum(-1).max() <= layer.max_width * layer.count
    waveform = torch.rand(16, 1, 100) + 0.5
    gained = RandomGain(-6, 6)(waveform, training=True)
    ratios = gained / waveform
    assert torch.allclose(ratios, ratios[..., :1]) and ratios.min() >= 10 ** (-6 / 20) - 1e-6
    assert ratios.max() <= 10 ** (6 / 20) + 1e-6 and ratios.std() > 0.05
    assert torch.equal(RandomGain()(waveform, training=False), waveform)
    shifted = RandomTimeShift(10)(waveform, training=True)
    for row, original in zip(shifted[:, 0], waveform[:, 0]):
        kept = int((row != 0).sum())
        assert kept >= 90
        shift = 100 - kept
        assert torch.equal(row[shift:], original[:kept]) or torch.equal(row[:kept], original[shift:])
    assert torch.equal(RandomTimeShift(0.1)(waveform, training=False), waveform)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="Spectrogram: win_length=600 is longer than n_fft=512"):
        Spectrogram(n_fft=512, win_length=600)
    with pytest.raises(ValueError, match="invalid window='hanning'"):
        Spectrogram(window="hanning")
    with pytest.raises(ValueError, match=r"MelSpectrogram: need 0 <= fmin < fmax <= sample_rate / 2 = 4000.0"):
        MelSpectrogram(sample_rate=8000, fmax=5000)
    with pytest.raises(ValueError, match="MFCC: n_mfcc=50 is more than n_mels=40"):
        MFCC(n_mfcc=50, n_mels=40)
    with pytest.raises(ValueError, match=r"expected waveforms \(batch, samples\) or \(batch, channels, samples\), "
                                         r"received shape \(2, 1, 1, 100\)"):
        Spectrogram(n_fft=64)(torch.zeros(2, 1, 1, 100))
    with pytest.raises(ValueError, match="RandomTimeShift: max_shift must be a fraction in"):
        RandomTimeShift(1.5)
