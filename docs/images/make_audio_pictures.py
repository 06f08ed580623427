"""Makes the README's audio walk-through picture: a CNN trained with `lamina train` on lamina.datasets.sounds, then
`lamina predict --heatmap` on one held-out clip of each class, the three heatmaps side by side.

    .venv/bin/python docs/images/make_audio_pictures.py     # under a minute on a CPU; writes docs/images/audio_*
"""
import os
import sys
import tempfile

from PIL import Image, ImageDraw

from lamina.cli import main
from lamina.datasets import sounds
from lamina.utils import set_random_seed

HERE = os.path.dirname(os.path.abspath(__file__))


def run(*arguments):
    print("$ lamina " + " ".join(arguments))
    if main(list(arguments)) != 0:
        sys.exit(f"lamina {arguments[0]} failed")


def make_pictures(work):
    sounds.make_folder(os.path.join(work, "sounds"), per_class=60, seed=0)
    held_out, _ = sounds.make_folder(os.path.join(work, "held_out"), per_class=1, seed=7)
    model = os.path.join(work, "sounds.lamina")
    set_random_seed(0)
    run("train", os.path.join(work, "sounds"), "--sample-rate", "8000", "--n-mels", "32", "--epochs", "15",
        "-o", model)
    run("predict", model, *held_out, "--heatmap", os.path.join(work, "why.png"))
    tiles = [Image.open(os.path.join(work, f"why-{number}.png")).convert("RGB") for number in (1, 2, 3)]
    caption = 18
    sheet = Image.new("RGB", (sum(tile.width for tile in tiles) + 20, tiles[0].height + caption), (255, 255, 255))
    draw, left = ImageDraw.Draw(sheet), 0
    for tile, path in zip(tiles, held_out):
        sheet.paste(tile, (left, caption))
        draw.text((left + 4, 2), os.path.basename(path), fill=(0, 0, 0))
        left += tile.width + 10
    sheet.save(os.path.join(HERE, "audio_heatmaps.png"), optimize=True)
    print(f"wrote {os.path.join(HERE, 'audio_heatmaps.png')}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        make_pictures(work)
