"""The HTML report of an image classifier's training: one self-contained file (inline CSS, PNG pictures embedded
as base64 data: URIs, no external links) that opens in any browser, offline, and can be mailed as it is."""
import base64
import html
import numbers
import os

from lamina.files import atomic_write

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.8em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #eef3f8; }
figure { margin: 1.5em 0; }
figcaption { font-weight: bold; margin-bottom: 0.5em; }
img { max-width: 100%; }
"""


def write_report(folder, title, summary, report, pictures):
    """Writes `folder/report.html`: the title, a summary table, the per-class scores, and the pictures.

    Args:
        folder: where to write report.html (created if missing).
        title: the page's title and heading.
        summary: an ordered dict of name -> str or number (e.g. model, images, epochs, validation accuracy).
        report: a ClassReport (lamina.vision.interpretation.class_report).
        pictures: an ordered dict of caption -> PNG file path, each embedded under its caption.

    Returns:
        The path of report.html.

    Example:
        >>> write_report("run", "cats vs dogs", {"epochs": 5}, report, {"confusion matrix": "run/confusion.png"})
    """
    os.makedirs(folder, exist_ok=True)
    summary_rows = [[name, _text(value)] for name, value in dict(summary).items()]
    class_rows = [[row["class"], f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                   str(row["support"])] for row in report.rows()]
    class_rows.append(["accuracy", "", "", f"{report.accuracy:.3f}", str(int(report.support.sum()))])
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{_escape(title)}</title>",
             f"<style>{STYLE}</style>\n</head>\n<body>\n<h1>{_escape(title)}</h1>",
             "<h2>Summary</h2>", _table(["", ""], summary_rows),
             "<h2>Per-class scores</h2>", _table(["class", "precision", "recall", "f1", "support"], class_rows)]
    for caption, path in dict(pictures).items():
        with open(path, "rb") as handle:
            encoded = base64.b64encode(handle.read()).decode("ascii")
        parts.append(f"<figure>\n<figcaption>{_escape(caption)}</figcaption>\n"
                     f"<img src=\"data:image/png;base64,{encoded}\" alt=\"{_escape(caption)}\">\n</figure>")
    parts.append("</body>\n</html>\n")
    path = os.path.join(folder, "report.html")
    atomic_write(path, "\n".join(parts).encode("utf-8"))
    return path


def _table(header, rows):
    """An HTML table; every cell's text is escaped. An all-empty header is left out."""
    lines = ["<table>"]
    if any(header):
        lines.append("<tr>" + "".join(f"<th>{_escape(cell)}</th>" for cell in header) + "</tr>")
    for row in rows:
        cells = [f"<th>{_escape(row[0])}</th>"] + [f"<td>{_escape(cell)}</td>" for cell in row[1:]]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(lines + ["</table>"])


def _text(value):
    """A summary value as text: floats with 4 significant digits, anything else as str()."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return f"{float(value):.4g}"
    return str(value)


def _escape(text):
    return html.escape(str(text), quote=True)
