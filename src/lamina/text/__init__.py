"""Text classification workflows (issue 15, in progress): reading labelled texts from files.

Example:
    >>> from lamina.text import read_labelled_texts
    >>> texts, labels = read_labelled_texts("sentences.tsv")
"""
from lamina.text.data import read_labelled_texts

__all__ = ["read_labelled_texts"]
