"""lamina.word2vec and the `lamina` command import torch only when a torch feature is used (checked in a fresh
Python process, since this one has imported torch already)."""

import os
import subprocess
import sys

import pytest

import lamina

SOURCE_FOLDER = os.path.dirname(os.path.dirname(lamina.__file__))
TRAIN = """
from lamina.word2vec import Word2Vec
sentences = [[f"w{(i * 7 + j) % 40}" for j in range(30)] for i in range(60)]
model = Word2Vec(sentences, vector_size=8, min_count=1, epochs=1, workers=2)
"""


def run_python(code, folder):
    """Runs `code` in a new interpreter (in `folder`); returns its stdout's last line."""
    environment = dict(os.environ, PYTHONPATH=SOURCE_FOLDER)
    result = subprocess.run([sys.executable, "-c", code], cwd=folder, env=environment, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_importing_and_training_word2vec_leave_torch_unimported(tmp_path):
    code = "import sys\nimport lamina.word2vec\nprint('torch' in sys.modules)"
    assert run_python(code, tmp_path) == "False"
    code = TRAIN + "import sys\nprint('torch' in sys.modules, len(model.wv))"
    assert run_python(code, tmp_path) == "False 40"


def test_saving_and_loading_vectors_and_models_leave_torch_unimported(tmp_path):
    code = TRAIN + """
import sys
from lamina.word2vec import KeyedVectors
model.save("model.w2v")
model.wv.save("vectors.kv")
model.wv.save_word2vec_format("vectors.bin", binary=True)
Word2Vec.load("model.w2v").wv.most_similar("w1")
KeyedVectors.load("vectors.kv")
KeyedVectors.load_word2vec_format("vectors.bin", binary=True)
print('torch' in sys.modules)
"""
    assert run_python(code, tmp_path) == "False"


def test_torch_features_still_import_torch(tmp_path):
    code = TRAIN + "import sys\nmodel.wv.to_embedding_layer()\nprint('torch' in sys.modules)"
    assert run_python(code, tmp_path) == "True"


def test_the_word2vec_commands_leave_torch_unimported(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(f"w{(i * 7 + j) % 40}" for j in range(30)) for i in range(60)) + "\n")
    code = f"""
import sys
from lamina.cli import main
main(["word2vec", {str(corpus)!r}, "-o", "vectors.txt", "--size", "8", "--min-count", "1", "--epochs", "1"])
main(["similar-words", "vectors.txt", "w1", "-n", "2"])
print('torch' in sys.modules)
"""
    assert run_python(code, tmp_path) == "False"


def test_the_lamina_package_loads_its_modules_on_first_use(tmp_path):
    code = """
import sys
import lamina
before = 'torch' in sys.modules
from lamina import optimizers
import lamina.layers
print(before, lamina.__version__, lamina.Sequential.__name__, lamina.Model.__name__, lamina.layers.Dense.__name__,
      optimizers.SGD.__name__, lamina.models.load_model.__name__, 'torch' in sys.modules)
"""
    assert run_python(code, tmp_path) == "False 0.1.0 Sequential Model Dense SGD load_model True"
    assert {"Model", "Sequential", "layers", "models", "optimizers", "utils", "__version__"} <= set(dir(lamina))
    with pytest.raises(AttributeError, match="^module 'lamina' has no attribute 'no_such_module'$"):
        lamina.no_such_module
