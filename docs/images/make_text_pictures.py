"""Makes the README's text walk-through picture: a CNN trained with `lamina train` on lamina.datasets.reviews,
then the per-token occlusion of a few held-out sentences, drawn as highlighted text.

    .venv/bin/python docs/images/make_text_pictures.py     # about a minute on a CPU; writes docs/images/text_*
"""
import os
import sys
import tempfile

from PIL import Image

from lamina.cli import main
from lamina.datasets import reviews
from lamina.text import highlighted_picture, load_model
from lamina.utils import set_random_seed

HERE = os.path.dirname(os.path.abspath(__file__))
SENTENCES = ["word12 word7 truly wonderful word250 word3 word41 word77 word18",
             "word90 word5 word66 hated it word13 word200 word2",
             "word31 a delight word8 word120 word299 word54",
             "word140 word9 word17 word260 word11 waste of time word45"]


def run(*arguments):
    print("$ lamina " + " ".join(arguments))
    if main(list(arguments)) != 0:
        sys.exit(f"lamina {arguments[0]} failed")


def make_pictures(work):
    data = reviews.write_tsv(os.path.join(work, "reviews.tsv"), 2000)
    model = os.path.join(work, "reviews.lamina")
    set_random_seed(0)
    run("train", data, "-o", model, "--epochs", "4")
    run("predict", model, *SENTENCES)
    classifier = load_model(model)
    pictures = [highlighted_picture(os.path.join(work, f"{index}.png"), classifier.explain(sentence),
                                    classifier.class_names, width=760)
                for index, sentence in enumerate(SENTENCES)]
    stacked = Image.new("RGB", (760, sum(picture.height for picture in pictures)), (255, 255, 255))
    top = 0
    for picture in pictures:
        stacked.paste(picture, (0, top))
        top += picture.height
    stacked.save(os.path.join(HERE, "text_explained.png"), optimize=True)
    print(f"wrote {os.path.join(HERE, 'text_explained.png')}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        make_pictures(work)
