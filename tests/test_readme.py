"""The README's Python examples run as written, in order, in one namespace."""
import pathlib
import re

import numpy as np

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_starts_with_the_two_set_up_commands():
    text = README.read_text()
    first_block = re.search(r"```\n(.*?)```", text, flags=re.S).group(1)
    assert [line.split()[:2] for line in first_block.strip().splitlines()] == [["make", "demo"], ["make", "test"]]


def test_readme_examples_run(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    namespace = {}
    blocks = python_blocks()
    assert len(blocks) >= 3
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    printed = capsys.readouterr().out
    assert "Total params: 13 (52.00 B)" in printed
    assert "Total params: 138,357,544 (527.79 MB)" in printed and "(2, 4096)" in printed
    assert "torch.Size([8, 1])" in printed
    assert "True 4" in printed and "[Prediction(label=" in printed
    assert (tmp_path / "shapes.lamina").is_file()
    assert (tmp_path / "vectors.bin").read_bytes().startswith(b"10 16\n")
    import torch

    rows = namespace["embedding"](torch.tensor([[0, 1]]))[0]
    np.testing.assert_array_equal(rows.detach().numpy(), namespace["w2v"].wv.vectors[:2])
    assert "True" in printed
    assert "(1, 5, 2) True" in printed
    assert "True ['accuracy', 'average_loss', 'global_step', 'loss']" in printed
    assert "{'model__hidden_units': (" in printed
