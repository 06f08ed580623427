"""lamina.text.read_labelled_texts: CSV and TSV by column name or index, with or without a header, "label text"
lines (fastText's prefix too), and the errors that name the file and the line."""
import pytest

from lamina.text import read_labelled_texts


def test_csv_with_a_header_and_quoted_fields(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('id,review,sentiment\n1,"Great, really great",pos\n2,"Two\nlines",neg\n\n3,meh,neg\n')
    assert read_labelled_texts(path, text_column="review", label_column="sentiment") == (
        ["Great, really great", "Two\nlines", "meh"], ["pos", "neg", "neg"])
    assert read_labelled_texts(path, text_column=1, label_column="2", header=True)[1] == ["pos", "neg", "neg"]


def test_tsv_without_a_header_defaults_to_label_then_text(tmp_path):
    path = tmp_path / "sentences.tsv"
    path.write_text("1\tthe movie was fun\n0\ta dull film\n")
    assert read_labelled_texts(path) == (["the movie was fun", "a dull film"], ["1", "0"])
    path.write_text("text\tlabel\nthe movie was fun\t1\n")
    assert read_labelled_texts(path) == (["the movie was fun"], ["1"])  # usual names found in the header


def test_label_text_lines_and_fasttext_prefixes(tmp_path):
    path = tmp_path / "trec.txt"
    path.write_text("DESC:manner How did serfdom develop ?\n\n__label__positive  a  fine\tfilm \n")
    assert read_labelled_texts(path) == (["How did serfdom develop ?", "a  fine\tfilm"], ["DESC:manner", "positive"])


def test_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("label\ttext\npos\tfine\nneg\n")
    with pytest.raises(ValueError, match=r"bad.tsv, row 3: 1 columns, but the text is column 1"):
        read_labelled_texts(path)
    path.write_text("label\ttext\npos\t  \n")
    with pytest.raises(ValueError, match=r"bad.tsv, row 2: the text is empty"):
        read_labelled_texts(path)
    with pytest.raises(ValueError, match=r"no label column 'sentiment'; the header's columns are \['label', 'text'\]"):
        read_labelled_texts(path, label_column="sentiment")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("pos fine\nneg caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.txt, line 2: byte b'\\xe9' is not utf-8 text. Pass encoding="):
        read_labelled_texts(latin)
    assert read_labelled_texts(latin, encoding="latin-1")[0] == ["fine", "café"]
    (tmp_path / "lone.txt").write_text("pos\n")
    with pytest.raises(ValueError, match=r"lone.txt, line 1: the text is empty"):
        read_labelled_texts(tmp_path / "lone.txt")
