"""The word2vec commands of the `lamina` CLI, on a small corpus with planted structure."""
import numpy as np
import pytest

from lamina import cli


def write_planted_corpus(path, sentences=3000, seed=0):
    """Countries and their capitals share contexts ('capital of ... is ...'); fillers add noise."""
    rng = np.random.default_rng(seed)
    pairs = [("france", "paris"), ("italy", "rome"), ("spain", "madrid"), ("japan", "tokyo"), ("egypt", "cairo")]
    fillers = [f"w{i}" for i in range(40)]
    with open(path, "w") as handle:
        for _ in range(sentences):
            country, capital = pairs[rng.integers(len(pairs))]
            noise = list(rng.choice(fillers, 4))
            words = noise[:2] + ["the", "capital", "of", country, "is", capital] + noise[2:]
            handle.write(" ".join(words) + "\n")
    return pairs


@pytest.mark.parametrize("output", ["vectors.bin", "vectors.txt"])
def test_word2vec_command_trains_and_similar_words_reads_the_vectors(tmp_path, capsys, output):
    corpus = tmp_path / "corpus.txt"
    write_planted_corpus(corpus)
    path = tmp_path / output
    assert cli.main(["word2vec", str(corpus), "-o", str(path), "--size", "16", "--min-count", "1", "--sg",
                     "--epochs", "3", "--workers", "1"]) == 0
    assert f"written to {path}" in capsys.readouterr().out
    assert path.read_bytes().startswith(b"54 16\n")  # 40 fillers, "the capital of is", 5 countries, 5 capitals
    assert cli.main(["similar-words", str(path), "paris", "-n", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Nearest to paris:" and len(lines) == 4
    with pytest.raises(SystemExit, match="not present"):
        cli.main(["similar-words", str(path), "king - man + woman"])


def test_word2vec_command_with_deterministic_gives_the_same_vectors_for_any_workers(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    write_planted_corpus(corpus, sentences=1500)
    outputs = []
    for workers in ("1", "2"):
        outputs.append(tmp_path / f"vectors{workers}.bin")
        assert cli.main(["word2vec", str(corpus), "-o", str(outputs[-1]), "--size", "8", "--min-count", "1",
                         "--epochs", "2", "--workers", workers, "--deterministic"]) == 0
    assert outputs[0].read_bytes() == outputs[1].read_bytes()


def test_similar_words_with_an_analogy_and_an_unknown_word(tmp_path, capsys):
    from lamina.word2vec import KeyedVectors

    keys = ["king", "queen", "man", "woman", "apple"]
    vectors = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1], [-1, -1, -1]], dtype="float32")
    path = tmp_path / "toy.txt"
    KeyedVectors.from_vectors(keys, vectors).save_word2vec_format(str(path))
    assert cli.main(["similar-words", str(path), "king", "-", "man", "+", "woman", "-n", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Nearest to king + woman - man:" and lines[1].split()[0] == "queen" and len(lines) == 2
    with pytest.raises(SystemExit, match="'kingg' not present"):
        cli.main(["similar-words", str(path), "kingg"])
    with pytest.raises(SystemExit, match="no vectors file at"):
        cli.main(["similar-words", str(tmp_path / "absent.bin"), "king"])


def test_heatmap_methods_are_listed_in_the_help_and_checked(capsys):
    with pytest.raises(SystemExit):
        cli.main(["heatmap", "--help"])
    assert "explanation method: occlusion, grad-cam, cam, saliency, ig (occlusion)" in " ".join(
        capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        cli.main(["heatmap", "model.lamina", "image.png", "-o", "out.png", "--method", "gradcam"])
    assert ("argument --method: invalid choice: 'gradcam' (choose from 'occlusion', 'grad-cam', 'cam', 'saliency', "
            "'ig')") in capsys.readouterr().err
