"""Generated images with known geometry, made on the spot (no download): for trying localization and regression.

- `faces(count)`: 64x64 face-like patterns (an ellipse with two eyes, a nose and a mouth) at random places, sizes
  and tilts over clutter, with five landmarks: left eye, right eye, nose, left and right mouth corner (the
  subject's left is on the picture's right, as in facial keypoint datasets; `FACE_PAIRS` swap on a flip).
- `roads(count)`: 66x200 views of a road that curves by a random amount; the steering angle in degrees is
  proportional to the curvature (positive: turn right).
- `scenes(count)`: 64x64 images of one to three discs, squares and triangles, with their boxes and classes.
- `write_faces(folder)` and `write_scenes(folder)`: the same as PNG files with an annotation CSV, as the `lamina
  train --task keypoints|boxes` command reads them.

Example:
    >>> from lamina.datasets import landmarks
    >>> images, points = landmarks.faces(500)      # uint8 (500, 3, 64, 64), float32 (500, 5, 2) pixels (x, y)
"""
import math
import os

import numpy as np
from PIL import Image, ImageDraw

from lamina.files import atomic_write

FACE_POINTS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
FACE_PAIRS = ((0, 1), (3, 4))
MAX_ANGLE = 25.0


def _clutter(rng, size, lines=6):
    image = Image.new("RGB", size, tuple(int(value) for value in rng.integers(60, 200, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(lines):
        ends = [(int(rng.integers(0, size[0])), int(rng.integers(0, size[1]))) for _ in range(2)]
        draw.line(ends, fill=tuple(int(value) for value in rng.integers(0, 256, 3)), width=1)
    return image, draw


def face(rng, size=64):
    """One face image (PIL, RGB) and its five landmarks (5, 2) in pixels."""
    image, draw = _clutter(rng, (size, size))
    radius = rng.uniform(0.22, 0.32) * size
    centre = rng.uniform(radius + 2, size - radius - 2, 2)
    tilt = math.radians(rng.uniform(-20, 20))
    skin = tuple(int(value) for value in rng.integers(170, 256, 3))
    draw.ellipse([centre[0] - radius * 0.85, centre[1] - radius, centre[0] + radius * 0.85, centre[1] + radius],
                 fill=skin)
    layout = np.array([[0.38, -0.3], [-0.38, -0.3], [0.0, 0.1], [0.3, 0.45], [-0.3, 0.45]]) * radius
    turn = np.array([[math.cos(tilt), -math.sin(tilt)], [math.sin(tilt), math.cos(tilt)]])
    points = centre + (layout * [-1, 1]) @ turn.T
    ink = tuple(int(value) for value in rng.integers(0, 60, 3))
    dot = max(1.5, radius * 0.09)
    for x, y in points[:3]:
        draw.ellipse([x - dot, y - dot, x + dot, y + dot], fill=ink)
    draw.line([tuple(points[3]), tuple(points[4])], fill=ink, width=max(1, int(dot)))
    return image, points.astype(np.float32)


def faces(count=500, seed=0, size=64):
    """(images uint8 (count, 3, size, size), landmarks float32 (count, 5, 2) as continuous pixel (x, y))."""
    rng = np.random.default_rng(seed)
    pictures, points = zip(*[face(rng, size) for _ in range(count)])
    return np.stack([np.asarray(picture).transpose(2, 0, 1) for picture in pictures]), np.stack(points)


def road(rng, angle, size=(200, 66)):
    """One road image (PIL, RGB) that curves as a steering angle of `angle` degrees asks."""
    width, height = size
    image, draw = _clutter(rng, size, lines=4)
    curvature = angle / MAX_ANGLE
    offset = rng.uniform(-0.08, 0.08) * width
    rows = np.linspace(height, height * 0.25, 24)
    ahead = (height - rows) / (height * 0.75)
    centres = width / 2 + offset + curvature * 0.45 * width * ahead ** 2
    half = 0.32 * width * (1 - 0.7 * ahead) + 2
    asphalt = tuple(int(value) for value in rng.integers(30, 80, 3))
    polygon = [(float(c - h), float(r)) for c, h, r in zip(centres, half, rows)] + \
              [(float(c + h), float(r)) for c, h, r in zip(centres[::-1], half[::-1], rows[::-1])]
    draw.polygon(polygon, fill=asphalt)
    draw.line([(float(c), float(r)) for c, r in zip(centres, rows)], fill=(240, 230, 120), width=2)
    return image


def roads(count=500, seed=0, size=(200, 66)):
    """(images uint8 (count, 3, height, width), steering angles float32 (count,) in degrees)."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-MAX_ANGLE, MAX_ANGLE, count).astype(np.float32)
    return np.stack([np.asarray(road(rng, angle, size)).transpose(2, 0, 1) for angle in angles]), angles


SHAPES = ("disc", "square", "triangle")


def scenes(count=500, seed=0, size=64, most=3):
    """(images uint8 (count, 3, size, size), boxes: a list of float32 (M_i, 4) pixel boxes (x_min, y_min, x_max,
    y_max), labels: a list of int64 (M_i,) indices of SHAPES): 1 to `most` discs, squares or triangles per image,
    10-20 pixels wide, of random colours and places, on clutter (they may overlap)."""
    rng = np.random.default_rng(seed)
    images, boxes, labels = [], [], []
    for _ in range(count):
        image, draw = _clutter(rng, (size, size), lines=4)
        image_boxes, image_labels = [], []
        for _ in range(int(rng.integers(1, most + 1))):
            side = rng.uniform(10, 20) * size / 64
            left, top = rng.uniform(0, size - side, 2)
            box = [float(left), float(top), float(left + side), float(top + side)]
            label = int(rng.integers(len(SHAPES)))
            ink = tuple(int(value) for value in rng.integers(0, 256, 3))
            if label == 0:
                draw.ellipse(box, fill=ink)
            elif label == 1:
                draw.rectangle(box, fill=ink)
            else:
                draw.polygon([(box[0], box[3]), (box[2], box[3]), ((box[0] + box[2]) / 2, box[1])], fill=ink)
            image_boxes.append(box)
            image_labels.append(label)
        images.append(np.asarray(image).transpose(2, 0, 1))
        boxes.append(np.array(image_boxes, dtype=np.float32))
        labels.append(np.array(image_labels, dtype=np.int64))
    return np.stack(images), boxes, labels


def _write_images(folder, images):
    os.makedirs(folder, exist_ok=True)
    names = [f"{index:04d}.png" for index in range(len(images))]
    for name, image in zip(names, images):
        Image.fromarray(image.transpose(1, 2, 0)).save(os.path.join(folder, name))
    return names


def write_faces(folder, count=500, seed=0, size=64):
    """faces(count) as folder/0000.png, ... and folder/faces.csv (path, left_eye_x, left_eye_y, ...); its path."""
    images, points = faces(count, seed, size)
    rows = ["path," + ",".join(f"{name}_x,{name}_y" for name in FACE_POINTS)]
    rows += [f"{name}," + ",".join(f"{value:.2f}" for value in face_points.reshape(-1))
             for name, face_points in zip(_write_images(folder, images), points)]
    path = os.path.join(folder, "faces.csv")
    atomic_write(path, ("\n".join(rows) + "\n").encode("utf-8"))
    return path


def write_scenes(folder, count=500, seed=0, size=64, most=3):
    """scenes(count) as folder/0000.png, ... and folder/boxes.csv (filename,width,height,class,xmin,ymin,xmax,ymax,
    a row per box); its path."""
    images, boxes, labels = scenes(count, seed, size, most)
    rows = ["filename,width,height,class,xmin,ymin,xmax,ymax"]
    for name, image_boxes, image_labels in zip(_write_images(folder, images), boxes, labels):
        rows += [f"{name},{size},{size},{SHAPES[label]}," + ",".join(f"{value:.1f}" for value in box)
                 for box, label in zip(image_boxes, image_labels)]
    path = os.path.join(folder, "boxes.csv")
    atomic_write(path, ("\n".join(rows) + "\n").encode("utf-8"))
    return path
