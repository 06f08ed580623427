"""Audio classification: recordings to waveforms, spectrogram layers that run inside the model (lamina.layers'
Spectrogram, MelSpectrogram, MFCC and augmentation layers), and a classifier of folders of recordings.

Example:
    >>> from lamina.audio import AudioClassifier, load_model
    >>> classifier = AudioClassifier(sample_rate=8000, duration=1.0)
    >>> classifier.fit("recordings", pattern="{label}_{speaker}_{n}.wav", group="speaker")
    >>> classifier.save("digits.lamina")
    >>> load_model("digits.lamina").predict(["7_theo_3.wav"])
"""
from lamina.audio.classifier import AudioClassifier, load_model
from lamina.audio.data import Recordings, grouped_validation_mask, labelled_recordings
from lamina.audio.explain import spectrogram_heatmap, spectrogram_picture
from lamina.audio.reading import (EXTENSIONS, UnreadableAudioError, UnreadableAudioWarning, fit_length, read_audio,
                                  read_clips, resample, windows)
from lamina.predictions import Prediction

__all__ = ["AudioClassifier", "EXTENSIONS", "Prediction", "Recordings", "UnreadableAudioError",
           "UnreadableAudioWarning", "fit_length", "grouped_validation_mask", "labelled_recordings", "load_model",
           "read_audio", "read_clips", "resample", "spectrogram_heatmap", "spectrogram_picture", "windows"]
