"""Audio classification: recordings to waveforms, spectrogram layers that run inside the model, and a classifier
of folders of recordings.

Example:
    >>> from lamina.audio import read_audio
    >>> samples, rate = read_audio("speech.wav", sample_rate=16000)   # mono float32, resampled
"""
from lamina.audio.reading import (EXTENSIONS, UnreadableAudioError, UnreadableAudioWarning, fit_length, read_audio,
                                  read_clips, resample, windows)

__all__ = ["EXTENSIONS", "UnreadableAudioError", "UnreadableAudioWarning", "fit_length", "read_audio", "read_clips",
           "resample", "windows"]
