"""Text classification workflows (issue 15, in progress): labelled texts from files, pretrained word vectors,
and sentence classifiers with their papers' defaults.

Example:
    >>> from lamina.text import pretrained_embedding, read_labelled_texts
    >>> texts, labels = read_labelled_texts("sentences.tsv")
    >>> embedding, coverage = pretrained_embedding("vectors.bin", vectorize)   # a TextVectorization
"""
from lamina.text.data import read_labelled_texts
from lamina.text.models import fasttext, text_cnn, text_model, text_rnn
from lamina.text.vectors import Coverage, pretrained_embedding

__all__ = ["Coverage", "fasttext", "pretrained_embedding", "read_labelled_texts", "text_cnn", "text_model",
           "text_rnn"]
