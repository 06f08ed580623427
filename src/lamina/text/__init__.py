"""Text classification workflows (issue 15, in progress): labelled texts from files, pretrained word vectors,
sentence classifiers with their papers' defaults, and per-token explanations.

Example:
    >>> from lamina.text import pretrained_embedding, read_labelled_texts
    >>> texts, labels = read_labelled_texts("sentences.tsv")
    >>> embedding, coverage = pretrained_embedding("vectors.bin", vectorize)   # a TextVectorization
"""
from lamina.text.data import read_labelled_texts
from lamina.text.explain import (TokenImportance, highlighted_html, highlighted_picture, save_highlighted_html,
                                 token_occlusion)
from lamina.text.models import fasttext, text_cnn, text_model, text_rnn
from lamina.text.vectors import Coverage, pretrained_embedding

__all__ = ["Coverage", "TokenImportance", "fasttext", "highlighted_html", "highlighted_picture", "pretrained_embedding",
           "read_labelled_texts", "save_highlighted_html", "text_cnn", "text_model", "text_rnn", "token_occlusion"]
