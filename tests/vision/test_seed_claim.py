"""The seed's claim: clustering a ConvNet's learned features beats clustering raw pixels.

Images are drawn on disk by lamina.datasets.shapes, one folder per class: a disc, horizontal stripes, vertical
stripes or a checkerboard, of random colours, size and position, over a random background crossed by random lines.
Colours and positions vary more than shapes do, so raw pixels group images by colour, not by class. A small
ConvNet trained on 60% of the images gives features (the input of its classifier) that k-means groups by class on
the other 40%. Measured (torch 2.14, CPU): NMI 0.76 on the features, 0.02 on raw pixels; the test asks for a gap
of 0.4.
"""
import numpy as np
import pytest
import torch

from lamina.datasets import shapes
from lamina.layers import Conv2D, Dense, Flatten, MaxPooling2D
from lamina.models import Sequential
from lamina.preprocessing.image_files import img_to_array, load_img
from lamina.utils import set_random_seed, to_categorical
from lamina.vision.clustering import compare_with_pixels
from lamina.vision.features import extract_features

SIZE = 32
CLASSES = shapes.CLASSES
PER_CLASS = 150
TRAINED = 0.6  # the share of each class the ConvNet trains on; clusters are scored on the rest
MARGIN = 0.4  # NMI(features) - NMI(pixels) must be at least this


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    """(paths, class numbers) of PER_CLASS images per class, written to one folder per class, classes interleaved."""
    return shapes.make_folder(tmp_path_factory.mktemp("shapes"), per_class=PER_CLASS, size=SIZE, seed=0)


@pytest.fixture
def one_thread():
    """Training this small ConvNet gains nothing from intra-op threads, and on a busy 2-core machine the thread
    pool stalls: 30 epochs took 29 s with two threads while another process ran, 3 s with one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_kmeans_on_learned_features_beats_kmeans_on_raw_pixels(image_folder, one_thread):
    paths, labels = image_folder
    split = int(len(paths) * TRAINED)
    pixels = np.stack([img_to_array(load_img(path)) for path in paths[:split]]) / 255
    set_random_seed(0)
    model = Sequential([Conv2D(12, 3, activation="relu", padding="same", input_shape=(3, SIZE, SIZE)),
                        MaxPooling2D(2), Conv2D(24, 3, activation="relu", padding="same"), MaxPooling2D(2),
                        Conv2D(24, 3, activation="relu", padding="same"), MaxPooling2D(2), Flatten(),
                        Dense(40, activation="relu"), Dense(len(CLASSES), activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    model.fit(pixels, to_categorical(labels[:split], len(CLASSES)), epochs=30, batch_size=32, verbose=0)
    features = extract_features(model, paths[split:], preprocess=lambda image: image / 255, verbose=0)
    scores = compare_with_pixels(features, paths[split:], labels[split:], seed=0, size=(SIZE, SIZE))
    print(f"NMI on learned features {scores['features']['nmi']:.3f}, on raw pixels {scores['pixels']['nmi']:.3f}")
    assert scores["features"]["nmi"] - scores["pixels"]["nmi"] >= MARGIN, scores
