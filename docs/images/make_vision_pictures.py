"""Makes the README's image walk-through pictures with the `lamina` commands, on lamina.datasets.shapes.

    .venv/bin/python docs/images/make_vision_pictures.py     # about a minute on a CPU; writes docs/images/vision_*

The backbone is a ResNet18 fine-tuned from random weights (`--weights none --fine-tune`): this machine has no
network for ImageNet weights, and 600 drawn 32x32 images train it in about 20 s.
"""
import os
import shutil
import sys
import tempfile

from lamina.cli import main
from lamina.datasets import shapes
from lamina.utils import set_random_seed
from lamina.vision import cluster, map_2d, map_picture
from lamina.vision.clustering import pixel_features

HERE = os.path.dirname(os.path.abspath(__file__))
BACKBONE = ["--model", "resnet18", "--weights", "none", "--image-size", "32"]


def run(*arguments):
    print("$ lamina " + " ".join(arguments))
    if main(list(arguments)) != 0:
        sys.exit(f"lamina {arguments[0]} failed")


def make_pictures(work):
    os.chdir(work)
    set_random_seed(0)
    paths, _ = shapes.make_folder("shapes", per_class=150, seed=0)
    run("train", "shapes", *BACKBONE, "--fine-tune", "--freeze-epochs", "0", "--epochs", "12", "--learning-rate",
        "0.01", "-o", "shapes.lamina")
    for name in ("confusion_matrix", "worst_classified", "training_curves"):
        shutil.copy(os.path.join("shapes_report", f"{name}.png"), os.path.join(HERE, f"vision_{name}.png"))
    run("predict", "shapes.lamina", paths[0], paths[1])
    run("similar", "shapes", paths[0], "-k", "11", "--model", "shapes.lamina",
        "-o", os.path.join(HERE, "vision_similar.png"))
    run("cluster", "shapes", "-k", "4", "--model", "shapes.lamina", "-o", os.path.join(HERE, "vision_map.png"))
    shutil.rmtree(os.path.join(HERE, "vision_map_clusters"))  # the per-cluster sheets: not shown in the README
    pixels = pixel_features(paths)  # the seed's comparison: the same map and k-means on raw pixels
    map_picture(map_2d(pixels), paths, os.path.join(HERE, "vision_map_pixels.png"), labels=cluster(pixels, 4).labels)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        make_pictures(folder)
