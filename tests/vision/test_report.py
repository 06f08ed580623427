"""The HTML report: one self-contained file, every text escaped, pictures embedded byte for byte."""
import base64
import os
import re
from pathlib import Path

from lamina.vision.interpretation import class_report, confusion_matrix_picture, training_curves_picture
from lamina.vision.report import write_report


def test_write_report_writes_one_self_contained_escaped_file(tmp_path):
    report = class_report([0, 0, 1, 1], [0, 1, 1, 1], ["<b>&cats", "dogs"])
    pictures_folder = tmp_path / "pictures"
    pictures_folder.mkdir()
    confusion_matrix_picture(report, pictures_folder / "c.png")
    training_curves_picture({"loss": [1.0, 0.5]}, pictures_folder / "t.png")
    pictures = {"confusion <matrix>": str(pictures_folder / "c.png"), "training curves": str(pictures_folder / "t.png")}
    folder = tmp_path / "runs" / "first"  # missing: created
    summary = {"model": "Sequential", "images": 4, "validation accuracy": 0.833333}
    path = write_report(folder, "Cats & dogs", summary, report, pictures)
    assert path == os.path.join(folder, "report.html")
    assert os.listdir(folder) == ["report.html"]
    text = Path(path).read_text(encoding="utf-8")
    assert "&lt;b&gt;&amp;cats" in text and "<b>&cats" not in text
    assert "<title>Cats &amp; dogs</title>" in text and "confusion &lt;matrix&gt;" in text
    assert "<th>validation accuracy</th><td>0.8333</td>" in text and "<th>images</th><td>4</td>" in text
    assert "<th>dogs</th><td>0.667</td><td>1.000</td><td>0.800</td><td>2</td>" in text
    encoded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert [base64.b64decode(data) for data in encoded] == [Path(p).read_bytes() for p in pictures.values()]
    assert "http" not in text.lower() and "<link" not in text and "<script" not in text
    assert text.index("confusion &lt;matrix&gt;") < text.index("training curves")
