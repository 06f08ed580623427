"""Recordings to waveforms: wav, flac and ogg decoded by soundfile (libsndfile), mixed to mono, resampled by a
polyphase filter (scipy's resample_poly) and padded or trimmed to a fixed length, many files in threads.

soundfile releases the GIL while it decodes, so threads read files in parallel. Samples are float32 in [-1, 1]
whatever the file holds (8-, 16-, 24- or 32-bit integers, or floats).
"""
import concurrent.futures
import math
import os
import warnings

import numpy as np
import soundfile

from lamina.layers.core import check_positive_int

EXTENSIONS = ("wav", "flac", "ogg")


class UnreadableAudioError(OSError):
    """A file that soundfile cannot decode, or that holds no samples."""


class UnreadableAudioWarning(UserWarning):
    """Recordings that could not be read were skipped."""


def read_audio(path, sample_rate=None, mono=True):
    """(samples, sample rate) of one recording.

    Args:
        path: a wav, flac or ogg file (any format libsndfile reads).
        sample_rate: resample to this rate (Hz); None keeps the file's.
        mono: average the channels into one; False keeps them, as (channels, frames).

    Returns:
        float32 samples, (frames,) when mono, and the rate they are at.

    Raises:
        UnreadableAudioError: naming the file and why (not audio, truncated, no samples).
    """
    path = os.fspath(path)
    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise UnreadableAudioError(f"'{path}' is not a readable recording: {str(error).rstrip('.')}.") from None
    if samples.shape[0] == 0:
        raise UnreadableAudioError(f"'{path}' holds no samples.")
    samples = samples.mean(axis=1) if mono else np.ascontiguousarray(samples.T)
    if sample_rate is not None and rate != sample_rate:
        samples, rate = resample(samples, rate, sample_rate), sample_rate
    return samples, rate


def resample(samples, rate, target_rate):
    """Samples at `rate` (Hz) resampled to `target_rate` along the last axis, by a polyphase filter (scipy's
    resample_poly with its default Kaiser window), as float32."""
    rate, target_rate = check_positive_int("resample", "rate", rate), check_positive_int(
        "resample", "target_rate", target_rate)
    if rate == target_rate:
        return np.asarray(samples, dtype=np.float32)
    from scipy import signal  # imported when needed: it takes a third of a second

    divisor = math.gcd(rate, target_rate)
    return signal.resample_poly(samples, target_rate // divisor, rate // divisor, axis=-1).astype(np.float32)


def fit_length(samples, length):
    """The first `length` samples (last axis), zero-padded at the end when there are fewer."""
    samples = samples[..., :length]
    missing = length - samples.shape[-1]
    if missing:
        samples = np.pad(samples, [(0, 0)] * (samples.ndim - 1) + [(0, missing)])
    return samples


def windows(samples, length, hop=None):
    """(windows, length): consecutive windows of a 1-D waveform, `hop` samples apart (default `length`), the last
    one zero-padded; a waveform shorter than `length` gives one padded window."""
    hop = hop or length
    count = max(1, math.ceil((len(samples) - length) / hop) + 1)
    return np.stack([fit_length(samples[start * hop:], length) for start in range(count)])


def read_clips(paths, sample_rate, length=None, workers=None):
    """(waveforms, kept paths): the readable recordings at `sample_rate`, mono, fitted to `length` samples.

    Unreadable or empty files are skipped with one UnreadableAudioWarning that lists them.

    Returns:
        A float32 array (files, length) when `length` is given, else a list of 1-D arrays; and the paths read.
    """
    paths = [os.fspath(path) for path in paths]

    def read(path):
        try:
            samples, _ = read_audio(path, sample_rate)
        except UnreadableAudioError as error:
            return error
        return samples if length is None else fit_length(samples, length)

    with concurrent.futures.ThreadPoolExecutor(workers or min(8, os.cpu_count() or 1)) as pool:
        results = list(pool.map(read, paths))
    skipped = [(path, str(result)) for path, result in zip(paths, results) if isinstance(result, Exception)]
    if skipped:
        warnings.warn(f"Skipped {len(skipped)} unreadable recording(s): " + "; ".join(reason for _, reason in skipped),
                      UnreadableAudioWarning, stacklevel=2)
    kept = [(path, result) for path, result in zip(paths, results) if not isinstance(result, Exception)]
    waveforms = [samples for _, samples in kept]
    if length is not None:
        waveforms = np.stack(waveforms) if waveforms else np.zeros((0, length), np.float32)
    return waveforms, [path for path, _ in kept]
