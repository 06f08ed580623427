"""Spectrogram layers: raw waveforms to (mel) spectrograms and MFCCs inside the model, batched, differentiable, on
the model's device, with librosa's parameters and results.

- Spectrogram: |STFT|^power (torch.stft; a periodic window, centred frames padded as `pad_mode` says).
- MelSpectrogram: the spectrogram through a bank of triangular mel filters (Slaney's or HTK's mel scale,
  Slaney's area normalisation or none), as librosa.feature.melspectrogram.
- MFCC: the orthonormal DCT-II of the mel spectrogram in decibels, as librosa.feature.mfcc.

Decibels are 10 log10(max(amin, S) / ref), floored at `top_db` below each example's maximum (librosa's
power_to_db computes the maximum over the array it is given: one clip when called clip by clip).

Input: (batch, samples) or (batch, channels, samples). Output: (batch, [channels,] frequencies, frames), so that a
(batch, 1, samples) waveform gives a channels-first image for Conv2D. The window and the filters are computed from
the config (buffers that follow the model's device and dtype, not saved weights).
"""
import math

import numpy as np
import torch

from lamina.engine.base_layer import Layer
from lamina.identifiers import check_choice
from lamina.layers.core import check_positive_int

WINDOWS = {"hann": torch.hann_window, "hamming": torch.hamming_window, "blackman": torch.blackman_window,
           "ones": None}
PAD_MODES = ("constant", "reflect")


class Spectrogram(Layer):
    """The power (or magnitude) spectrogram of waveforms: librosa's `np.abs(librosa.stft(y)) ** power`.

    Args:
        n_fft: the FFT size; the output has n_fft // 2 + 1 frequencies.
        hop_length: samples between frames (default n_fft // 4).
        win_length: the window's length, zero-padded to n_fft (default n_fft).
        window: 'hann', 'hamming', 'blackman' (periodic, as scipy's get_window) or 'ones'.
        center: pad n_fft // 2 samples on both sides, so frame t is centred on sample t * hop_length.
        pad_mode: 'constant' (zeros, librosa's default) or 'reflect'.
        power: 1 for the magnitude, 2 for the power.
        to_db: convert to decibels (librosa.power_to_db for power 2, amplitude_to_db for power 1).
        top_db, ref, amin: of the decibels: floor at `top_db` below the maximum (None: no floor), reference,
            smallest value.

    Input shape: (batch, samples) or (batch, channels, samples).
    Output shape: (batch, [channels,] n_fft // 2 + 1, frames), frames = 1 + samples // hop_length when centred.

    Example:
        >>> spectrogram = Spectrogram(n_fft=512, hop_length=128)
        >>> spectrogram(torch.zeros(2, 16000)).shape
        torch.Size([2, 257, 126])
    """

    def __init__(self, n_fft=2048, hop_length=None, win_length=None, window="hann", center=True,
                 pad_mode="constant", power=2.0, to_db=False, top_db=80.0, ref=1.0, amin=1e-10, **kwargs):
        super().__init__(**kwargs)
        self.n_fft = check_positive_int(type(self).__name__, "n_fft", n_fft)
        self.hop_length = check_positive_int(type(self).__name__, "hop_length", hop_length or n_fft // 4)
        self.win_length = check_positive_int(type(self).__name__, "win_length", win_length or n_fft)
        if self.win_length > self.n_fft:
            raise ValueError(f"{type(self).__name__}: win_length={win_length} is longer than n_fft={n_fft}; the "
                             f"window is zero-padded to n_fft, so it must be at most n_fft.")
        self.window = check_choice("window", window, tuple(WINDOWS), owner=type(self).__name__)
        self.pad_mode = check_choice("pad_mode", pad_mode, PAD_MODES, owner=type(self).__name__)
        if power not in (1, 2, 1.0, 2.0):
            raise ValueError(f"{type(self).__name__}: power must be 1 (magnitude) or 2 (power), received {power!r}.")
        self.center, self.power, self.to_db = bool(center), float(power), bool(to_db)
        self.top_db = None if top_db is None else float(top_db)
        self.ref, self.amin = float(ref), float(amin)
        window_values = (torch.ones(self.win_length, dtype=torch.float64) if window == "ones" else
                         WINDOWS[window](self.win_length, periodic=True, dtype=torch.float64))
        self.register_buffer("window_values", window_values, persistent=False)
        self.built = True

    def call(self, inputs):
        return self._decibels(self._power_spectrum(inputs)) if self.to_db else self._power_spectrum(inputs)

    def _power_spectrum(self, inputs):
        """|STFT|^power of (batch, [channels,] samples) as (batch, [channels,] frequencies, frames)."""
        if inputs.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__} '{self.name}': expected waveforms (batch, samples) or (batch, "
                             f"channels, samples), received shape {tuple(inputs.shape)}.")
        leading = inputs.shape[:-1]
        waveforms = inputs.reshape(-1, inputs.shape[-1])
        if not waveforms.is_floating_point():
            waveforms = waveforms.float()
        stft = torch.stft(waveforms, self.n_fft, self.hop_length, self.win_length,
                          self.window_values.to(waveforms.dtype), center=self.center, pad_mode=self.pad_mode,
                          return_complex=True)
        spectrum = stft.abs() if self.power == 1 else stft.real.square() + stft.imag.square()
        return spectrum.reshape(*leading, *spectrum.shape[-2:])

    def _decibels(self, spectrum):
        """librosa's power_to_db (amplitude_to_db for power 1), the top_db floor taken per example."""
        scale = 10.0 if self.power == 2 else 20.0
        decibels = scale * torch.log10(spectrum.clamp_min(self.amin)) - scale * math.log10(max(self.amin, self.ref))
        if self.top_db is not None:
            peak = decibels.flatten(1).amax(dim=1).reshape(-1, *[1] * (decibels.dim() - 1))
            decibels = torch.maximum(decibels, peak - self.top_db)
        return decibels

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None
        if samples is not None:
            frames = 1 + samples // self.hop_length if self.center else 1 + (samples - self.n_fft) // self.hop_length
        return (*input_shape[:-1], self._frequencies(), frames)

    def _frequencies(self):
        return self.n_fft // 2 + 1

    def get_config(self):
        return {**super().get_config(), "n_fft": self.n_fft, "hop_length": self.hop_length,
                "win_length": self.win_length, "window": self.window, "center": self.center,
                "pad_mode": self.pad_mode, "power": self.power, "to_db": self.to_db, "top_db": self.top_db,
                "ref": self.ref, "amin": self.amin}


class MelSpectrogram(Spectrogram):
    """The mel spectrogram of waveforms: librosa.feature.melspectrogram (and power_to_db with to_db=True).

    Args:
        sample_rate: the waveforms' rate in Hz.
        n_mels: the number of mel bands.
        fmin, fmax: the lowest and highest frequency of the filters (fmax None: sample_rate / 2).
        htk: HTK's mel scale (2595 log10(1 + f / 700)) instead of Slaney's (linear below 1 kHz, logarithmic above).
        norm: 'slaney' (each triangle divided by its width in Hz, so its area is constant) or None (peaks of 1).
        The Spectrogram arguments (n_fft, hop_length, window, power, to_db, top_db, ...) are accepted too.

    Output shape: (batch, [channels,] n_mels, frames).

    Example:
        >>> mel = MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=160, n_mels=64, to_db=True)
    """

    def __init__(self, sample_rate=22050, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney", **kwargs):
        super().__init__(**kwargs)
        self.sample_rate = check_positive_int(type(self).__name__, "sample_rate", sample_rate)
        self.n_mels = check_positive_int(type(self).__name__, "n_mels", n_mels)
        self.fmin, self.fmax = float(fmin), float(fmax if fmax is not None else sample_rate / 2)
        if not 0 <= self.fmin < self.fmax <= sample_rate / 2:
            raise ValueError(f"{type(self).__name__}: need 0 <= fmin < fmax <= sample_rate / 2 = {sample_rate / 2}; "
                             f"received fmin={fmin}, fmax={fmax}.")
        self.htk = bool(htk)
        self.norm = check_choice("norm", norm, ("slaney", None), owner=type(self).__name__)
        filters = mel_filters(self.sample_rate, self.n_fft, self.n_mels, self.fmin, self.fmax, self.htk, self.norm)
        self.register_buffer("filters", torch.from_numpy(filters), persistent=False)

    def call(self, inputs):
        spectrum = self._power_spectrum(inputs)
        mel = torch.matmul(self.filters.to(spectrum.dtype), spectrum)
        return self._decibels(mel) if self.to_db else mel

    def _frequencies(self):
        return self.n_mels

    def get_config(self):
        return {**super().get_config(), "sample_rate": self.sample_rate, "n_mels": self.n_mels, "fmin": self.fmin,
                "fmax": self.fmax, "htk": self.htk, "norm": self.norm}


class MFCC(MelSpectrogram):
    """Mel-frequency cepstral coefficients: librosa.feature.mfcc, the orthonormal DCT-II of the mel spectrogram
    in decibels (power_to_db with `top_db`, 80 by default), its first `n_mfcc` coefficients.

    Args:
        n_mfcc: the coefficients kept.
        The MelSpectrogram arguments (sample_rate, n_mels, fmin, fmax, htk, n_fft, hop_length, ...).

    Output shape: (batch, [channels,] n_mfcc, frames).
    """

    def __init__(self, n_mfcc=20, **kwargs):
        kwargs.pop("to_db", None)  # always decibels; in the config of the parent class
        super().__init__(to_db=True, **kwargs)
        self.n_mfcc = check_positive_int("MFCC", "n_mfcc", n_mfcc)
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"MFCC: n_mfcc={n_mfcc} is more than n_mels={self.n_mels}; keep n_mfcc <= n_mels.")
        self.register_buffer("dct", torch.from_numpy(dct_matrix(self.n_mels)[:self.n_mfcc]), persistent=False)

    def call(self, inputs):
        decibels = super().call(inputs)
        return torch.matmul(self.dct.to(decibels.dtype), decibels)

    def _frequencies(self):
        return self.n_mfcc

    def get_config(self):
        return {**super().get_config(), "n_mfcc": self.n_mfcc}


def hz_to_mel(frequencies, htk=False):
    """Mels of frequencies in Hz: HTK's 2595 log10(1 + f / 700), or Slaney's f / (200 / 3) below 1 kHz and
    15 + 27 ln(f / 1000) / ln(6.4) above."""
    frequencies = np.asarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + frequencies / 700.0)
    step, log_step = 200.0 / 3, np.log(6.4) / 27.0
    return np.where(frequencies < 1000.0, frequencies / step,
                    1000.0 / step + np.log(np.maximum(frequencies, 1e-10) / 1000.0) / log_step)


def mel_to_hz(mels, htk=False):
    """The inverse of hz_to_mel."""
    mels = np.asarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    step, log_step = 200.0 / 3, np.log(6.4) / 27.0
    return np.where(mels < 1000.0 / step, mels * step, 1000.0 * np.exp(log_step * (mels - 1000.0 / step)))


def mel_filters(sample_rate, n_fft, n_mels, fmin, fmax, htk=False, norm="slaney"):
    """(n_mels, n_fft // 2 + 1) float64 triangular filters whose corners are n_mels + 2 points spaced evenly in mels
    from fmin to fmax, weighting the FFT bins' frequencies; with norm='slaney', each divided by half its width."""
    bins = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    corners = mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2), htk)
    lower, centre, upper = corners[:-2, None], corners[1:-1, None], corners[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    filters = np.maximum(0.0, np.minimum(rising, falling))
    if norm == "slaney":
        filters *= 2.0 / (upper - lower)
    return filters


def dct_matrix(size):
    """(size, size) float64 orthonormal DCT-II: row k is sqrt(2 / size) cos(pi k (2n + 1) / (2 size)), row 0 scaled
    by 1 / sqrt(2) (scipy.fft.dct(type=2, norm='ortho') as a matrix)."""
    positions = np.arange(size)
    matrix = np.sqrt(2.0 / size) * np.cos(np.pi * positions[:, None] * (2 * positions[None, :] + 1) / (2 * size))
    matrix[0] /= np.sqrt(2.0)
    return matrix
