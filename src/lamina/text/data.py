"""Labelled texts from one file: CSV or TSV with a text and a label column, or one "label text" pair per line.

The "label text" format is the classic sentence datasets' (TREC, SST, MR in Kim's scripts): the first
whitespace-separated token is the label, the rest of the line the text; fastText's `__label__` prefix is removed.
"""
import csv
import io
import os
import re

LABEL_PREFIX = "__label__"  # fastText's
DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
TEXT_NAMES, LABEL_NAMES = ("text", "sentence", "review", "content"), ("label", "labels", "class", "category",
                                                                      "target")


def read_labelled_texts(path, text_column=None, label_column=None, header=None, delimiter=None, encoding="utf-8"):
    """(texts, labels): two lists of strings, one entry per row or line.

    Args:
        path: a `.csv` or `.tsv` file, or any other file of "label text" lines.
        text_column, label_column: CSV/TSV columns, by header name or by index (an int or a string of digits).
            Default: the header's 'text'/'sentence'/'review'/'content' and 'label'/'class'/'category'/'target'
            columns, or, without a header, label in column 0 and text in column 1.
        header: whether the first row names the columns; None: yes when it holds a column named as above or a
            given column name.
        delimiter: the CSV delimiter (default: ',' for .csv, tab for .tsv).
        encoding: the file's text encoding.

    Raises:
        ValueError: naming the file and the line: bytes that are not `encoding`, a row without the column, an
            empty text or label, or a column that is not in the header (the header's columns are listed).

    Example:
        >>> texts, labels = read_labelled_texts("reviews.tsv", text_column="review", label_column="sentiment")
    """
    path = os.fspath(path)
    lines = _decoded(path, encoding)
    extension = os.path.splitext(path)[1].lower()
    if delimiter is None and extension not in DELIMITERS:
        return _label_text_lines(path, lines)
    rows = list(csv.reader(io.StringIO(lines), delimiter=delimiter or DELIMITERS[extension]))
    rows_start = 1
    names = [cell.strip() for cell in rows[0]] if rows else []
    if header is None:
        given = [column for column in (text_column, label_column) if isinstance(column, str) and
                 not column.isdigit()]
        header = bool(given) or any(name.lower() in TEXT_NAMES + LABEL_NAMES for name in names)
    if not header:
        names, rows_start = [], 0
    text_index = _column(path, names, text_column, TEXT_NAMES, 1, "text")
    label_index = _column(path, names, label_column, LABEL_NAMES, 0, "label")
    texts, labels = [], []
    for number, row in enumerate(rows[rows_start:], start=rows_start + 1):
        if not row:
            continue
        if max(text_index, label_index) >= len(row):
            raise ValueError(f"{path}, row {number}: {len(row)} columns, but the text is column {text_index} and "
                             f"the label column {label_index}. Fix the row or choose other columns.")
        texts.append(_required(f"{path}, row {number}", row[text_index], "text"))
        labels.append(_required(f"{path}, row {number}", row[label_index], "label"))
    return texts, labels


def _decoded(path, encoding):
    with open(path, "rb") as file:
        data = file.read()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ValueError(f"{path}, line {line}: byte {data[error.start:error.start + 1]!r} is not {encoding} text. "
                         f"Pass encoding= (e.g. 'latin-1') or convert the file.") from None


def _label_text_lines(path, text):
    texts, labels = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = re.split(r"\s+", line.strip(), maxsplit=1)
        label = parts[0][len(LABEL_PREFIX):] if parts[0].startswith(LABEL_PREFIX) else parts[0]
        texts.append(_required(f"{path}, line {number}", parts[1] if len(parts) > 1 else "", "text"))
        labels.append(_required(f"{path}, line {number}", label, "label"))
    return texts, labels


def _column(path, names, column, usual_names, position, role):
    """The index of `column` (a name, an index, or None for the usual name or position)."""
    if column is None:
        found = [index for index, name in enumerate(names) if name.lower() in usual_names]
        return found[0] if found else position
    if isinstance(column, int) or str(column).isdigit():
        return int(column)
    if column not in names:
        raise ValueError(f"{path}: no {role} column {column!r}; the header's columns are {names}. Pass a name from "
                         f"the header or a column index.")
    return names.index(column)


def _required(place, value, role):
    """The value without surrounding whitespace; a ValueError naming `place` (file and row or line) if empty."""
    value = value.strip()
    if not value:
        raise ValueError(f"{place}: the {role} is empty. Remove it or fill in the {role}.")
    return value
