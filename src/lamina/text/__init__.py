"""Text classification workflows: labelled texts from files, pretrained word vectors, sentence classifiers with
their papers' defaults, TextClassifier (raw strings in, labels out), and per-token explanations.

Example:
    >>> from lamina.text import TextClassifier
    >>> classifier = TextClassifier("cnn")
    >>> classifier.fit("sentences.tsv")
    >>> classifier.predict(["a truly wonderful film"])
    [Prediction(label='positive', probability=0.98)]
    >>> from lamina.text import pretrained_embedding, read_labelled_texts
    >>> texts, labels = read_labelled_texts("sentences.tsv")
    >>> embedding, coverage = pretrained_embedding("vectors.bin", vectorize)   # a TextVectorization
"""
from lamina.predictions import Prediction
from lamina.text.classifier import TextClassifier, load_model
from lamina.text.data import read_labelled_texts
from lamina.text.explain import (TokenImportance, highlighted_html, highlighted_picture, save_highlighted_html,
                                 token_occlusion)
from lamina.text.models import fasttext, text_cnn, text_model, text_rnn
from lamina.text.vectors import Coverage, pretrained_embedding

__all__ = ["Coverage", "Prediction", "TextClassifier", "TokenImportance", "fasttext", "highlighted_html",
           "highlighted_picture", "load_model", "pretrained_embedding", "read_labelled_texts", "save_highlighted_html",
           "text_cnn", "text_model", "text_rnn", "token_occlusion"]
