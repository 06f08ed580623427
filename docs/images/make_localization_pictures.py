"""Makes the README's localization picture: a keypoint model and a grid detector trained with `lamina train` from
annotation CSVs of generated faces and scenes, then `lamina predict -o` on four held-out images of each, side by side.

    .venv/bin/python docs/images/make_localization_pictures.py     # about four minutes on a 2-core CPU
"""
import os
import sys
import tempfile

from PIL import Image, ImageDraw

from lamina.cli import main
from lamina.datasets import landmarks
from lamina.utils import set_random_seed

HERE = os.path.dirname(os.path.abspath(__file__))


def run(*arguments):
    print("$ lamina " + " ".join(arguments))
    if main(list(arguments)) != 0:
        sys.exit(f"lamina {arguments[0]} failed")


def drawn_row(work, name, model, held_out):
    run("predict", model, *held_out, "-o", os.path.join(work, f"{name}.png"))
    return [Image.open(os.path.join(work, f"{name}-{number}.png")).convert("RGB") for number in range(1, 5)]


def make_pictures(work):
    faces = landmarks.write_faces(os.path.join(work, "faces"), 1500, seed=0)
    scenes = landmarks.write_scenes(os.path.join(work, "scenes"), 1500, seed=0)
    held_out_faces = landmarks.write_faces(os.path.join(work, "held_out_faces"), 4, seed=7)
    held_out_scenes = landmarks.write_scenes(os.path.join(work, "held_out_scenes"), 4, seed=7)
    set_random_seed(0)
    run("train", faces, "--task", "keypoints", "--model", "resnet18", "--weights", "none", "--image-size", "64",
        "--pairs", "0-1,3-4", "--epochs", "20", "-o", os.path.join(work, "faces.lamina"))
    run("train", scenes, "--task", "boxes", "--epochs", "25", "-o", os.path.join(work, "scenes.lamina"))
    rows = [drawn_row(work, "faces", os.path.join(work, "faces.lamina"),
                      [os.path.join(os.path.dirname(held_out_faces), f"{index:04d}.png") for index in range(4)]),
            drawn_row(work, "scenes", os.path.join(work, "scenes.lamina"),
                      [os.path.join(os.path.dirname(held_out_scenes), f"{index:04d}.png") for index in range(4)])]
    side, gap, caption = rows[0][0].width, 8, 18
    picture = Image.new("RGB", (4 * side + 3 * gap, 2 * (side + caption) + gap), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    for number, (row, title) in enumerate(zip(rows, ("lamina train faces.csv --task keypoints",
                                                     "lamina train boxes.csv --task boxes"))):
        top = number * (side + caption + gap)
        draw.text((4, top + 2), f"{title}; lamina predict -o (held-out images)", fill=(0, 0, 0))
        for column, tile in enumerate(row):
            picture.paste(tile, (column * (side + gap), top + caption))
    picture.save(os.path.join(HERE, "localization.png"))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        make_pictures(work)
