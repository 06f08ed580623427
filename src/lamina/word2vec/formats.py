"""Word-vector files: lamina's own (KeyedVectors.save), word2vec.c text/binary and GloVe text (as gensim).

lamina's own file is a zip of a JSON document (format, words, attribute names) and a safetensors file (the
vectors and per-word attributes such as counts): nothing is unpickled on loading.

Text: a header line "<count> <size>\\n", then one line per word: "word v1 v2 ...\\n" (each number written as
numpy prints a float32: the shortest string that reads back to the same value).
Binary: the same header line, then for each word "word " followed by `size` little-endian float32 values.
word2vec.c ends each vector with "\\n", gensim does not: both are read.
GloVe: text lines without the header (load with no_header=True).

Example:
    >>> save_word2vec_format(kv, "vectors.bin", binary=True)
    >>> kv = load_word2vec_format(KeyedVectors, "GoogleNews-vectors-negative300.bin", binary=True, limit=100000)

The loaders take the class to build (KeyedVectors or a subclass, from its class methods), so this module does not
import `keyed_vectors`, which imports it.
"""
import json
import os
import warnings
import zipfile

import numpy as np

from lamina.files import atomic_write_archive

KEYED_VECTORS_FORMAT = "lamina-keyed-vectors"
_BINARY_FLOAT = np.dtype("<f4")
_CHUNK_BYTES = 100 * 1024


def save_keyed_vectors(kv, path):
    """Writes `kv` (words, vectors, per-word attributes) to one file, atomically.

    Example:
        >>> save_keyed_vectors(kv, "words.kv")
    """
    from safetensors.numpy import save as save_arrays
    kv._drop_unfilled_rows()
    metadata = {"format": KEYED_VECTORS_FORMAT, "vector_size": kv.vector_size, "keys": kv.index_to_key,
                "attributes": sorted(kv.expandos)}
    arrays = {"vectors": np.ascontiguousarray(kv.vectors)}
    arrays.update({f"attribute.{name}": np.ascontiguousarray(values) for name, values in kv.expandos.items()})
    atomic_write_archive(path, {"keyed_vectors.json": json.dumps(metadata, ensure_ascii=False),
                                "vectors.safetensors": save_arrays(arrays)})


def load_keyed_vectors(cls, path):
    """Reads a file written by `save_keyed_vectors` / `KeyedVectors.save`.

    Raises:
        FileNotFoundError: no file at `path`.
        ValueError: not such a file (word2vec.c and GloVe files are read by load_word2vec_format).

    Example:
        >>> kv = load_keyed_vectors(KeyedVectors, "words.kv")
    """
    from safetensors.numpy import load as load_arrays
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"KeyedVectors.load: no file at '{path}'.")
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = json.loads(archive.read("keyed_vectors.json").decode("utf8"))
            arrays = load_arrays(archive.read("vectors.safetensors"))
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"KeyedVectors.load: '{path}' is not a file written by KeyedVectors.save() ({error}). "
                         f"For word2vec.c, gensim text/binary or GloVe files use "
                         f"KeyedVectors.load_word2vec_format(path, binary=...).") from error
    if metadata.get("format") != KEYED_VECTORS_FORMAT:
        raise ValueError(f"KeyedVectors.load: '{path}' has format {metadata.get('format')!r}, expected "
                         f"'{KEYED_VECTORS_FORMAT}'.")
    kv = cls.from_vectors(metadata["keys"], arrays["vectors"])
    kv.vector_size = int(metadata["vector_size"])
    kv.expandos = {name: arrays[f"attribute.{name}"] for name in metadata["attributes"]}
    return kv


def save_word2vec_format(kv, path, fvocab=None, binary=False, total_vec=None, write_header=True, prefix="",
                         append=False, sort_attr="count"):
    """Writes vectors in the word2vec.c text or binary format, most frequent word first (as gensim).

    Args:
        kv: the KeyedVectors to write.
        path: output file.
        fvocab: optional second file to receive "word count" lines (needs the `sort_attr` attribute).
        binary: raw float32 values instead of text.
        total_vec: number written in the header (default: the number of words).
        write_header: write the "<count> <size>" line (False gives GloVe-style text).
        prefix: string put before every word.
        append: add to the end of an existing file instead of replacing it.
        sort_attr: per-word attribute whose descending order is the order of the lines ('count'); words
            are written in row order when no word has it.

    Example:
        >>> save_word2vec_format(kv, "vectors.txt")
    """
    if total_vec is None:
        total_vec = len(kv.index_to_key)
    if sort_attr in kv.expandos:
        values = kv.expandos[sort_attr]
        order = sorted(range(len(kv.index_to_key)), key=lambda row: -values[row])
    elif fvocab is not None:
        raise ValueError(f"save_word2vec_format: fvocab needs the per-word attribute sort_attr={sort_attr!r}, "
                         f"which these vectors lack (known: {sorted(kv.expandos)}). Pass fvocab=None, or set "
                         f"counts with KeyedVectors.from_vectors(..., counts=...).")
    else:
        order = range(len(kv.index_to_key))
    mode = "ab" if append else "wb"
    if fvocab is not None:
        with open(fvocab, mode) as handle:
            values = kv.expandos[sort_attr]
            handle.writelines(f"{prefix}{kv.index_to_key[row]} {values[row]}\n".encode("utf8") for row in order)
    with open(path, mode) as handle:
        if write_header:
            handle.write(f"{total_vec} {kv.vector_size}\n".encode("utf8"))
        for row in order:
            vector = kv.vectors[row]
            if binary:
                handle.write(f"{prefix}{kv.index_to_key[row]} ".encode("utf8")
                             + vector.astype(_BINARY_FLOAT).tobytes())
            else:
                numbers = " ".join(str(value) for value in vector)  # numpy scalars print their shortest repr
                handle.write(f"{prefix}{kv.index_to_key[row]} {numbers}\n".encode("utf8"))


def load_word2vec_format(cls, path, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict", limit=None,
                         datatype=np.float32, no_header=False):
    """Reads a word2vec.c/gensim text or binary file, or a GloVe text file (no_header=True).

    Args:
        path: the file.
        fvocab: optional file of "word count" lines (written by word2vec.c's -save-vocab); without it, words
            get made-up counts that decrease down the file, so their order is kept.
        binary: the file holds raw float32 values (word2vec.c's -binary 1).
        encoding, unicode_errors: how words are decoded ('strict', 'ignore', 'replace').
        limit: read only the first `limit` words (files are sorted by frequency, so these are the most common).
        datatype: dtype of the loaded vectors.
        no_header: the file has no "<count> <size>" line (GloVe); text files only.
        cls: the class to build (KeyedVectors, or a subclass).

    Returns:
        KeyedVectors. A word seen twice keeps its first vector (with a warning).

    Raises:
        EOFError: the file ends before the number of words its header announces.
        ValueError: a line does not hold one word and `size` numbers (e.g. a binary file read with
            binary=False), or the header is not two integers.

    Example:
        >>> kv = load_word2vec_format(KeyedVectors, "glove.6B.50d.txt", no_header=True)
    """
    path = os.fspath(path)
    counts = _read_counts(fvocab, unicode_errors) if fvocab is not None else None
    if no_header:
        if binary:
            raise ValueError("load_word2vec_format: no_header=True works for text files only (GloVe), received "
                             "binary=True. Binary word2vec files always have a header: pass no_header=False.")
        word_count, vector_size = _text_sizes(path, limit, encoding, unicode_errors, datatype)
    with open(path, "rb") as handle:
        if not no_header:
            word_count, vector_size = _parse_header(handle.readline(), path, encoding)
        if limit:
            word_count = min(word_count, limit)
        words, vectors = [], np.zeros((word_count, vector_size), dtype=datatype)
        if binary:
            entries = _binary_entries(handle, word_count, vector_size, encoding, unicode_errors, path)
        else:
            entries = _text_entries(handle, word_count, vector_size, encoding, unicode_errors, datatype, path)
        seen = set()
        for word, vector in entries:
            if word in seen:
                warnings.warn(f"load_word2vec_format: duplicate word {word!r} in '{path}'; keeping the first vector.",
                              stacklevel=2)
                continue
            seen.add(word)
            vectors[len(words)] = vector
            words.append(word)
    if len(words) < word_count:
        vectors = np.ascontiguousarray(vectors[:len(words)])
    kv = cls.from_vectors(words, vectors)
    if counts is None:
        kv.expandos["count"] = np.arange(word_count, word_count - len(words), -1, dtype=np.int64)
    else:
        missing = [word for word in words if word not in counts]
        if missing:
            warnings.warn(f"load_word2vec_format: the vocabulary file '{fvocab}' lacks {len(missing)} words, e.g. "
                          f"{missing[:3]}; their count is 0.", stacklevel=2)
        kv.expandos["count"] = np.array([counts.get(word, 0) for word in words], dtype=np.int64)
    return kv


def _read_counts(fvocab, unicode_errors):
    counts = {}
    with open(fvocab, "rb") as handle:
        for line in handle:
            word, count = line.decode("utf8", errors=unicode_errors).strip().split()
            counts[word] = int(count)
    return counts


def _parse_header(line, path, encoding):
    parts = line.decode(encoding, errors="replace").split()
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise ValueError(f"load_word2vec_format: the first line of '{path}' should be '<word count> <vector size>', "
                         f"received {line[:80]!r}. For GloVe files (no header line) pass no_header=True.")
    return int(parts[0]), int(parts[1])


def _split_text_line(line, encoding, unicode_errors, datatype, vector_size, path, line_number):
    parts = line.rstrip().decode(encoding, errors=unicode_errors).split(" ")
    if vector_size is not None and len(parts) != vector_size + 1:
        raise ValueError(f"load_word2vec_format: line {line_number} of '{path}' has {len(parts) - 1} numbers, "
                         f"expected {vector_size} (is this really a text file? For binary files pass binary=True).")
    try:
        return parts[0], np.array(parts[1:], dtype=datatype)
    except ValueError as error:
        raise ValueError(f"load_word2vec_format: line {line_number} of '{path}' holds a value that is not a "
                         f"number ({error}). For binary files pass binary=True.") from None


def _text_sizes(path, limit, encoding, unicode_errors, datatype):
    """(number of lines up to limit, numbers per line) for a header-less text file."""
    vector_size, lines = None, 0
    with open(path, "rb") as handle:
        for line in handle:
            if limit and lines == limit:
                break
            if vector_size is None:
                vector_size = len(_split_text_line(line, encoding, unicode_errors, datatype, None, path, 1)[1])
            lines += 1
    if vector_size is None:
        raise ValueError(f"load_word2vec_format: '{path}' is empty.")
    return lines, vector_size


def _text_entries(handle, word_count, vector_size, encoding, unicode_errors, datatype, path):
    for number in range(word_count):
        line = handle.readline()
        if not line:
            raise EOFError(f"load_word2vec_format: '{path}' ends after {number} words, but its header announces "
                           f"{word_count}. The file is truncated, or pass limit={number}.")
        yield _split_text_line(line, encoding, unicode_errors, datatype, vector_size, path, number + 2)


def _binary_entries(handle, word_count, vector_size, encoding, unicode_errors, path):
    """Yields (word, float32 vector) read in chunks; newlines before a word (word2vec.c's) are skipped."""
    vector_bytes = vector_size * _BINARY_FLOAT.itemsize
    buffer, start = b"", 0
    for number in range(word_count):
        while True:
            space = buffer.find(b" ", start)
            if space >= 0 and len(buffer) >= space + 1 + vector_bytes:
                break
            more = handle.read(max(_CHUNK_BYTES, vector_bytes + 1))
            if not more:
                raise EOFError(f"load_word2vec_format: '{path}' ends after {number} words, but its header "
                               f"announces {word_count}. The file is truncated, not binary (pass binary=False), "
                               f"or pass limit={number}.")
            buffer, start = buffer[start:] + more, 0
        word = buffer[start:space].decode(encoding, errors=unicode_errors).lstrip("\n")
        vector = np.frombuffer(buffer, dtype=_BINARY_FLOAT, count=vector_size, offset=space + 1)
        start = space + 1 + vector_bytes
        yield word, vector
