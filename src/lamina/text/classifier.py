"""TextClassifier: labelled sentences (strings, a CSV/TSV/"label text" file, or a folder per class) to a CNN, RNN
or fastText-style classifier, in one call.

The model is one lamina Model from raw strings: a string Input -> TextVectorization -> the classifier on token ids
(lamina.text.models). `fit` vectorizes the texts once and trains the classifier on the ids; a saved file carries
the vocabulary and the class names, so `load_model(path).predict(["a fine film"])` needs nothing else.
"""
import os

import torch.nn.functional as F

from lamina import optimizers
from lamina.identifiers import check_choice
from lamina.layers import Input, TextVectorization
from lamina.models import Model
from lamina.models.loading import load_with_metadata
from lamina.predictions import top_predictions
from lamina.text.data import read_labelled_texts
from lamina.text.explain import token_occlusion
from lamina.text.models import ARCHITECTURES, text_model
from lamina.text.vectors import pretrained_embedding
from lamina.vision.data import validation_mask
from lamina.vision.interpretation import class_evaluation, class_indices

METADATA_KEY = "text_classifier"
VECTOR_MODES = ("static", "non-static", "multichannel")  # Kim's CNN-static, CNN-non-static, CNN-multichannel
LONGEST = 200  # the default sequence length is the longest training text's, at most this many tokens


class TextClassifier:
    """A sentence classifier: Kim's CNN, a bidirectional GRU, or fastText's bag of n-grams, on raw strings.

    Args:
        architecture: 'cnn' (lamina.text.text_cnn), 'rnn' (text_rnn) or 'fasttext'.
        max_tokens: the vocabulary's size, '' and '[UNK]' included.
        sequence_length: texts are padded or cut to this many tokens; None: the longest training text's (at
            least the CNN's widest filter, at most 200).
        ngrams: the TextVectorization's ngrams; None: 2 for 'fasttext' (bigrams, as in its paper), else 1-grams.
        vectors: pretrained word vectors (a lamina KeyedVectors or Word2Vec, or a word2vec/GloVe file) for the
            embedding; None trains a random one.
        vectors_mode: with vectors: 'static' (kept fixed), 'non-static' (trained) or, for the CNN,
            'multichannel' (Kim's two channels: one static, one trained).
        model_options: the architecture's own arguments (embedding_dim, filters, units, cell, dropout, ...).

    Example:
        >>> classifier = TextClassifier("cnn")
        >>> classifier.fit("reviews.tsv", epochs=5)         # label<TAB>text lines
        >>> classifier.predict(["a truly wonderful film"])
        [Prediction(label='positive', probability=0.98)]
        >>> classifier.save("reviews.lamina")
    """

    def __init__(self, architecture="cnn", max_tokens=20000, sequence_length=None, ngrams=None, vectors=None,
                 vectors_mode="static", **model_options):
        self.architecture = check_choice("architecture", architecture, tuple(ARCHITECTURES), owner="TextClassifier")
        self.vectors_mode = check_choice("vectors_mode", vectors_mode, VECTOR_MODES, owner="TextClassifier")
        if vectors_mode == "multichannel" and architecture != "cnn":
            raise ValueError(f"TextClassifier: vectors_mode='multichannel' is Kim's CNN variant; architecture="
                             f"{architecture!r} takes 'static' or 'non-static'.")
        self.max_tokens, self.sequence_length, self.vectors = max_tokens, sequence_length, vectors
        self.ngrams = 2 if ngrams is None and architecture == "fasttext" else ngrams
        self.model_options = model_options
        self.model = self.vectorize = self.classifier = self.class_names = self.history = self.coverage = None

    # ---------------------------------------------------------------- building
    def _build(self, texts, class_names):
        """Adapts the vectorizer to the training texts, builds the model, and returns the texts' ids."""
        self.vectorize = TextVectorization(max_tokens=self.max_tokens, ngrams=self.ngrams,
                                           output_sequence_length=self.sequence_length, name="vectorize")
        self.vectorize.adapt(texts)
        ids = self.vectorize(texts)  # without a sequence_length: padded to the longest text
        length = self.sequence_length or self._length(ids.shape[1])
        self.vectorize.output_sequence_length = length
        ids = F.pad(ids[:, :length], (0, length - min(ids.shape[1], length)))
        options = dict(self.model_options)
        if self.vectors is not None:
            options["embedding"] = self._pretrained_embedding()
        self.classifier = text_model(self.architecture, self.vectorize.vocabulary_size(), len(class_names),
                                     sequence_length=length, **options)
        texts_input = Input(shape=(1,), dtype="string", name="text")
        self._set_model(Model(texts_input, self.classifier(self.vectorize(texts_input)),
                              name=f"text_{self.architecture}_classifier"), class_names)
        return ids

    def _length(self, longest):
        """The default sequence length: the longest training text's, at least the widest filter, at most 200."""
        widest = max(self.model_options.get("filter_widths", (3, 4, 5))) if self.architecture == "cnn" else 1
        return int(min(max(longest, widest), LONGEST))

    def _pretrained_embedding(self):
        mask_zero = self.architecture != "cnn"
        trainable = self.vectors_mode == "non-static"
        embedding, self.coverage = pretrained_embedding(self.vectors, self.vectorize, trainable=trainable,
                                                        mask_zero=mask_zero, name="embedding")
        if self.vectors_mode != "multichannel":
            return embedding
        trained, _ = pretrained_embedding(self.vectors, self.vectorize, trainable=True, name="trained_embedding")
        return [embedding, trained]

    def _set_model(self, model, class_names):
        self.model, self.class_names = model, list(class_names)
        self.vectorize, self.classifier = model.layers[1], model.layers[2]

    # ---------------------------------------------------------------- training
    def fit(self, texts, labels=None, epochs=5, batch_size=50, learning_rate=None, validation_split=0.1, seed=0,
            verbose=1, **file_options):
        """Learns the vocabulary from the training texts, then trains the classifier (Adam) on their token ids.

        Args:
            texts: a list of strings (with `labels`), or a file (CSV, TSV or "label text" lines, read by
                lamina.text.read_labelled_texts with `file_options`: text_column, label_column, ...), or a folder
                of one subfolder of .txt files per class.
            labels: one label (a class name, or any value) per text; the classes are their sorted distinct values.
            epochs, batch_size: of the training (Kim's batch size, 50, by default).
            learning_rate: Adam's; None: 1e-3, or 1e-2 for 'fasttext' (its small linear model learns slowly).
            validation_split, seed: the seeded, stratified share of each class held out for validation.

        Returns:
            The History (loss, accuracy, val_loss, val_accuracy per epoch).
        """
        texts, labels = labelled_texts(texts, labels, "fit", **file_options)
        class_names = sorted({str(label) for label in labels})
        if len(class_names) < 2:
            raise ValueError(f"TextClassifier.fit: the labels hold {len(class_names)} class ({class_names}); a "
                             f"classifier needs at least 2.")
        indices = class_indices(labels, class_names, "TextClassifier.fit")
        held_out = validation_mask([str(position) for position in range(len(texts))], indices, validation_split,
                                   seed)
        train = [text for text, out in zip(texts, held_out) if not out]
        train_ids = self._build(train, class_names)
        validation = None
        if held_out.any():
            validation = (self.vectorize([text for text, out in zip(texts, held_out) if out]), indices[held_out])
        if learning_rate is None:
            learning_rate = 1e-2 if self.architecture == "fasttext" else 1e-3
        self.classifier.compile(optimizer=optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                                metrics=["accuracy"])
        self.history = self.classifier.fit(train_ids, indices[~held_out], batch_size=batch_size,
                                           epochs=epochs, validation_data=validation, verbose=verbose)
        return self.history

    # ---------------------------------------------------------------- using
    def predict_proba(self, texts, batch_size=256):
        """(N, classes) probabilities of a list of strings."""
        self._require_model("predict")
        return self.model.predict(_strings(texts, "predict"), batch_size=batch_size)

    def predict(self, texts, batch_size=256):
        """One Prediction(label, probability) per string."""
        return top_predictions(self.predict_proba(texts, batch_size), self.class_names)

    def evaluate(self, texts, labels=None, batch_size=256, **file_options):
        """{'loss', 'accuracy', 'report', 'probabilities'} on labelled texts (a list with `labels`, or a file or
        folder as `fit` reads them); 'report' holds per-class precision, recall and the confusion matrix."""
        texts, labels = labelled_texts(texts, labels, "evaluate", **file_options)
        truth = class_indices(labels, self.class_names, "TextClassifier.evaluate")
        return class_evaluation(truth, self.predict_proba(texts, batch_size), self.class_names)

    def explain(self, text, target=None):
        """Each token's importance for the prediction on one string (lamina.text.token_occlusion)."""
        self._require_model("explain")
        return token_occlusion(self.classifier, self.vectorize, text, target)

    def save(self, path):
        """Writes the model (vocabulary included) and its class names to one `.lamina` file, atomically."""
        self._require_model("save")
        self.model.metadata = {METADATA_KEY: {"architecture": self.architecture, "class_names": self.class_names}}
        self.model.save(path, include_optimizer=False)

    def _require_model(self, method):
        if self.model is None:
            raise ValueError(f"TextClassifier.{method}: the classifier has no model yet; call fit(texts, labels) "
                             f"first, or load one with lamina.text.load_model(path).")


def labelled_texts(texts, labels, method, **file_options):
    """(texts, labels) from lists, a labelled file, or a folder of class folders of .txt files."""
    if isinstance(texts, (str, os.PathLike)):
        if labels is not None:
            raise ValueError(f"TextClassifier.{method}: labels come from the file {os.fspath(texts)!r}; leave "
                             f"`labels` out.")
        return folder_texts(texts) if os.path.isdir(texts) else read_labelled_texts(texts, **file_options)
    texts = _strings(texts, method)
    if labels is None or len(labels) != len(texts):
        raise ValueError(f"TextClassifier.{method}: pass one label per text: {len(texts)} texts, "
                         f"{'no labels' if labels is None else f'{len(labels)} labels'}.")
    return texts, list(labels)


def folder_texts(folder):
    """(texts, class folder names) of folder/<class>/*.txt (lamina.utils.text_dataset_from_directory's layout)."""
    from lamina.utils import text_dataset_from_directory

    dataset = text_dataset_from_directory(folder, batch_size=None, shuffle=False)
    texts, labels = [], []
    for text, label in dataset:
        texts.append(str(text))
        labels.append(dataset.class_names[int(label)])
    return texts, labels


def _strings(texts, method):
    if isinstance(texts, str):
        raise TypeError(f"TextClassifier.{method}: pass a list of strings, e.g. [{texts[:40]!r}], not one string.")
    return [text.decode("utf-8") if isinstance(text, bytes) else str(text) for text in texts]


def load_model(path):
    """The TextClassifier saved at `path` by TextClassifier.save."""
    model, settings = load_with_metadata(path, METADATA_KEY, "lamina.text.load_model",
                                         "a TextClassifier (no class names)")
    classifier = TextClassifier(settings["architecture"])
    classifier._set_model(model, settings["class_names"])
    return classifier
