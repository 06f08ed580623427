"""AudioClassifier: a folder of recordings to a ConvNet on mel spectrograms, in one call.

The model is one lamina Model from raw waveforms: (batch, 1, samples) -> random gain and time shift (training
only) -> MelSpectrogram in decibels -> the classifier on spectrograms (batch, 1, mels, frames): batch
normalization, SpecAugment masks (training only), then convolutions. The spectrogram runs inside the model, on its
device, so the saved file needs nothing else: `load_model(path).predict("clip.wav")`.
"""
import numpy as np

from lamina import optimizers
from lamina.audio.data import grouped_validation_mask, labelled_recordings
from lamina.audio.explain import spectrogram_heatmap, spectrogram_picture
from lamina.audio.reading import fit_length, read_clips
from lamina.identifiers import check_choice
from lamina.layers import (BatchNormalization, Conv1D, Conv2D, Dense, Dropout, FrequencyMasking,
                           GlobalAveragePooling1D, GlobalAveragePooling2D, Input, MaxPooling1D, MaxPooling2D,
                           MelSpectrogram, Permute, RandomGain, RandomTimeShift, Reshape, TimeMasking)
from lamina.models import Model
from lamina.models.loading import load_with_metadata
from lamina.predictions import top_predictions
from lamina.vision.data import natural_order, validation_mask
from lamina.vision.interpretation import class_evaluation, class_indices

METADATA_KEY = "audio_classifier"
ARCHITECTURES = ("cnn2d", "cnn1d")


class AudioClassifier:
    """A classifier of recordings: a small ConvNet on log-mel spectrograms computed inside the model.

    Args:
        architecture: 'cnn2d' (3x3 convolutions over frequency and time, the spectrogram as an image) or 'cnn1d'
            (convolutions over time, the mel bands as channels).
        sample_rate: recordings are resampled to this rate (Hz).
        duration: seconds per clip; longer recordings are cut, shorter ones padded with silence.
        n_mels: mel bands of the spectrogram.
        n_fft, hop_length: of the spectrogram; default a 25 ms window rounded up to a power of two, and 10 ms.
        augment: random gain (+-6 dB), time shift (+-10%) and SpecAugment masks during training.

    Example:
        >>> classifier = AudioClassifier(sample_rate=8000, duration=1.0)
        >>> classifier.fit("recordings", pattern="{label}_{speaker}_{n}.wav", group="speaker")
        >>> classifier.predict(["7_theo_3.wav"])
        [Prediction(label='7', probability=0.98)]
    """

    def __init__(self, architecture="cnn2d", sample_rate=16000, duration=1.0, n_mels=64, n_fft=None,
                 hop_length=None, augment=True):
        self.architecture = check_choice("architecture", architecture, ARCHITECTURES, owner="AudioClassifier")
        self.sample_rate, self.duration, self.n_mels = int(sample_rate), float(duration), int(n_mels)
        self.n_fft = n_fft or 2 ** int(np.ceil(np.log2(0.025 * sample_rate)))
        self.hop_length = hop_length or int(0.010 * sample_rate)
        self.augment = bool(augment)
        self.model = self.spectrogram_model = self.classifier = self.class_names = self.history = None

    @property
    def length(self):
        """Samples per clip."""
        return int(round(self.sample_rate * self.duration))

    # ---------------------------------------------------------------- building
    def _build(self, class_names):
        waveforms = Input((1, self.length), name="waveform")
        x = waveforms
        if self.augment:
            x = RandomTimeShift(0.1, name="time_shift")(RandomGain(-6.0, 6.0, name="gain")(x))
        spectrogram = MelSpectrogram(sample_rate=self.sample_rate, n_fft=self.n_fft, hop_length=self.hop_length,
                                     n_mels=self.n_mels, to_db=True, name="mel_spectrogram")(x)
        classifier = self._classifier(tuple(spectrogram.shape[1:]), len(class_names))
        self._set_model(Model(waveforms, classifier(spectrogram), name=f"audio_{self.architecture}_classifier"),
                        class_names)

    def _classifier(self, shape, classes):
        """The model from (1, mels, frames) spectrograms in dB to class probabilities."""
        spectrograms = Input(shape, name="spectrogram")
        x = BatchNormalization(axis=1, momentum=0.9, name="normalize")(spectrograms)
        if self.augment:
            x = TimeMasking(max(1, shape[2] // 10), name="time_masks")(
                FrequencyMasking(max(1, shape[1] // 8), name="frequency_masks")(x))
        if self.architecture == "cnn2d":
            for index, filters in enumerate((32, 64, 128)):
                x = Conv2D(filters, 3, padding="same", activation="relu", data_format="channels_first",
                           name=f"conv_{index + 1}")(x)
                x = BatchNormalization(axis=1, momentum=0.9, name=f"batch_norm_{index + 1}")(x)
                x = MaxPooling2D(2, data_format="channels_first", name=f"pool_{index + 1}")(x)
            features = GlobalAveragePooling2D(data_format="channels_first", name="features")(x)
        else:
            x = Permute((2, 1), name="frames_first")(Reshape(shape[1:], name="mel_channels")(x))
            for index, filters in enumerate((64, 128, 128)):
                x = Conv1D(filters, 5, padding="same", activation="relu", name=f"conv_{index + 1}")(x)
                x = MaxPooling1D(2, name=f"pool_{index + 1}")(x)
            features = GlobalAveragePooling1D(name="features")(x)
        outputs = Dense(classes, activation="softmax", name="predictions")(Dropout(0.3, name="dropout")(features))
        return Model(spectrograms, outputs, name="spectrogram_classifier")

    def _set_model(self, model, class_names):
        self.model, self.class_names = model, list(class_names)
        self.classifier = model.get_layer("spectrogram_classifier")
        self.spectrogram_model = Model(model.inputs[0], model.get_layer("mel_spectrogram").output, name="spectrogram")

    # ---------------------------------------------------------------- training
    def fit(self, data, labels=None, pattern=None, group=None, epochs=20, batch_size=32, learning_rate=1e-3,
            validation_split=0.2, seed=0, verbose=1):
        """Reads the recordings once (resampled, fitted to `duration`), then trains the whole model with Adam; the
        spectrograms (and their augmentation) are computed in the model, batch by batch.

        Args:
            data: a folder (class subfolders, or any layout with `pattern`), a list of files (with `labels`), or
                waveforms (N, samples) at `sample_rate` (with `labels`).
            pattern: labels (and groups) from file names, e.g. '{label}_{speaker}_{n}.wav'.
            group: a field of `pattern` (e.g. 'speaker') whose values are held out whole, so that the validation
                speakers are not heard in training; None: a seeded, stratified split.

        Returns:
            The History (loss, accuracy, val_loss, val_accuracy per epoch).
        """
        clips, labels, groups = self._labelled_clips(data, labels, pattern, group, "fit")
        class_names = sorted({str(label) for label in labels}, key=natural_order)
        if len(class_names) < 2:
            raise ValueError(f"AudioClassifier.fit: the labels hold {len(class_names)} class ({class_names}); a "
                             f"classifier needs at least 2.")
        indices = class_indices(labels, class_names, "AudioClassifier.fit")
        if groups is not None:
            held_out = grouped_validation_mask(groups, validation_split, seed)
        else:
            held_out = validation_mask([str(position) for position in range(len(clips))], indices,
                                       validation_split, seed)
        if self.model is None:
            self._build(class_names)
        elif class_names != self.class_names:
            raise ValueError(f"AudioClassifier.fit: this classifier was trained on classes {self.class_names}; the "
                             f"data has {class_names}. Make a new AudioClassifier for other classes.")
        self.model.compile(optimizer=optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                           metrics=["accuracy"])
        validation = (clips[held_out], indices[held_out]) if held_out.any() else None
        self.history = self.model.fit(clips[~held_out], indices[~held_out], batch_size=batch_size, epochs=epochs,
                                      validation_data=validation, verbose=verbose)
        return self.history

    def _labelled_clips(self, data, labels, pattern, group, method):
        """(clips (N, 1, length) float32, labels, group of each clip or None)."""
        groups = None
        if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
            if labels is not None:
                raise ValueError(f"AudioClassifier.{method}: the labels come from the folder; leave `labels` out.")
            recordings = labelled_recordings(data, pattern)
            if group is not None:
                if group not in recordings.fields:
                    raise ValueError(f"AudioClassifier.{method}: group={group!r} is not a field of the pattern "
                                     f"{pattern!r}; its fields: {sorted(recordings.fields)}.")
                groups = recordings.fields[group]
            clips, kept = read_clips(recordings.paths, self.sample_rate, self.length)
            position = {path: index for index, path in enumerate(recordings.paths)}
            labels = [recordings.labels[position[path]] for path in kept]
            groups = None if groups is None else [groups[position[path]] for path in kept]
        else:
            if labels is None or len(labels) != len(data):
                raise ValueError(f"AudioClassifier.{method}: pass one label per recording: {len(data)} recordings, "
                                 f"{'no labels' if labels is None else f'{len(labels)} labels'}.")
            clips = self._clips(data)
            labels = list(labels)
        return clips[:, None], labels, groups

    def _clips(self, inputs):
        """(N, length) float32 clips of files, or of waveforms already at sample_rate."""
        items = [inputs] if isinstance(inputs, str) or (isinstance(inputs, np.ndarray) and inputs.ndim == 1) \
            else list(inputs)
        if items and all(isinstance(item, str) or hasattr(item, "__fspath__") for item in items):
            clips, kept = read_clips(items, self.sample_rate, self.length)
            if len(kept) < len(items):
                raise ValueError(f"AudioClassifier: {len(items) - len(kept)} of the files could not be read "
                                 f"(see the warning).")
            return clips
        return np.stack([fit_length(np.asarray(item, dtype=np.float32), self.length) for item in items])

    # ---------------------------------------------------------------- using
    def predict_proba(self, inputs, batch_size=64):
        """(N, classes) probabilities of recordings: file paths or waveforms at sample_rate (one or a list)."""
        self._require_model("predict")
        return self.model.predict(self._clips(inputs)[:, None], batch_size=batch_size)

    def predict(self, inputs, batch_size=64):
        """One Prediction(label, probability) per recording."""
        return top_predictions(self.predict_proba(inputs, batch_size), self.class_names)

    def evaluate(self, data, labels=None, pattern=None, batch_size=64):
        """{'loss', 'accuracy', 'report', 'probabilities'} on labelled recordings (as `fit` takes them)."""
        self._require_model("evaluate")
        clips, labels, _ = self._labelled_clips(data, labels, pattern, None, "evaluate")
        truth = class_indices(labels, self.class_names, "AudioClassifier.evaluate")
        return class_evaluation(truth, self.model.predict(clips, batch_size=batch_size), self.class_names)

    def spectrogram(self, recording):
        """The model's log-mel spectrogram (1, mels, frames) of one recording (a path or a waveform)."""
        self._require_model("spectrogram")
        return self.spectrogram_model.predict(self._clips(recording)[:, None])[0]

    def explain(self, recording, path=None, method="occlusion", target=None):
        """(heatmap (mels, frames), the class explained) for one recording: occlusion of time-frequency patches or
        Grad-CAM (lamina.audio.explain); `path` also writes the spectrogram with the heatmap over it as PNG."""
        self._require_model("explain")
        heatmap, spectrogram, target = spectrogram_heatmap(self, recording, method, target)
        if path is not None:
            spectrogram_picture(spectrogram, heatmap, path)
        return heatmap, target

    def save(self, path):
        """Writes the model and its class names and clip settings to one `.lamina` file, atomically."""
        self._require_model("save")
        self.model.metadata = {METADATA_KEY: {
            "architecture": self.architecture, "class_names": self.class_names, "sample_rate": self.sample_rate,
            "duration": self.duration, "n_mels": self.n_mels, "n_fft": self.n_fft, "hop_length": self.hop_length,
            "augment": self.augment}}
        self.model.save(path, include_optimizer=False)

    def _require_model(self, method):
        if self.model is None:
            raise ValueError(f"AudioClassifier.{method}: the classifier has no model yet; call fit(data) first, or "
                             f"load one with lamina.audio.load_model(path).")


def load_model(path):
    """The AudioClassifier saved at `path` by AudioClassifier.save."""
    model, settings = load_with_metadata(path, METADATA_KEY, "lamina.audio.load_model",
                                         "an AudioClassifier (no class names or clip settings)")
    classifier = AudioClassifier(settings["architecture"], settings["sample_rate"], settings["duration"],
                                 settings["n_mels"], settings["n_fft"], settings["hop_length"], settings["augment"])
    classifier._set_model(model, settings["class_names"])
    return classifier
