"""Pictures of image collections, drawn with Pillow: thumbnails, contact sheets with captions, and 2-D maps.

Every picture is written as a PNG atomically (never a half-written file) and also returned as a PIL image.
Layout: tiles of `tile` x `tile` pixels, GAP pixels apart and from the border, each with a CAPTION-pixel strip of
text below it, on a white background.
"""
import io
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from lamina.explain.render import image_pixels
from lamina.files import atomic_write
from lamina.layers.core import check_positive_int
from lamina.preprocessing.image_files import load_img

GAP = 6
CAPTION = 18
BACKGROUND = (255, 255, 255)
FRAME = 3  # map_picture: width of the coloured frame that shows a thumbnail's cluster
# Tableau's 10 colours (matplotlib's default cycle): one per cluster, repeating after 10.
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


def as_image(image):
    """A PIL image from a file path, a PIL image, or an array/tensor (see lamina.explain.render.image_pixels)."""
    if isinstance(image, Image.Image):
        return image
    if isinstance(image, (str, os.PathLike)):
        return load_img(image)
    return Image.fromarray(np.rint(image_pixels(image)).astype(np.uint8), "RGB")


def thumbnail(image, size=128):
    """The image as an RGB square of size x size: scaled (bilinear) to fit, centred on a white background."""
    size = check_positive_int("thumbnail", "size", size)
    square = Image.new("RGB", (size, size), BACKGROUND)
    scaled = ImageOps.contain(as_image(image).convert("RGB"), (size, size), Image.Resampling.BILINEAR)
    square.paste(scaled, ((size - scaled.width) // 2, (size - scaled.height) // 2))
    return square


def tile_position(index, columns, tile):
    """The (left, top) pixel of tile `index` in a sheet of `columns` columns."""
    row, column = divmod(index, columns)
    return GAP + column * (tile + GAP), GAP + row * (tile + CAPTION + GAP)


def sheet(images, captions, path, tile=128, columns=6):
    """A grid of thumbnails with one caption under each, written to `path` (PNG); returns the PIL image."""
    tile = check_positive_int("sheet", "tile", tile)
    columns = min(check_positive_int("sheet", "columns", columns), max(len(images), 1))
    rows = -(-len(images) // columns)
    canvas = Image.new("RGB", (GAP + columns * (tile + GAP), GAP + rows * (tile + CAPTION + GAP)), BACKGROUND)
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default(size=CAPTION - 6)
    for index, (image, caption) in enumerate(zip(images, captions)):
        left, top = tile_position(index, columns, tile)
        canvas.paste(thumbnail(image, tile), (left, top))
        draw.text((left, top + tile + 2), fitted_text(str(caption), draw, font, tile), fill=(0, 0, 0), font=font)
    save_png(canvas, path)
    return canvas


def contact_sheet(query, neighbours, scores, path, names=None, tile=128, columns=6):
    """A PNG of a query image followed by its neighbours, each captioned with its similarity score.

    Args:
        query: the query image (path, PIL image or array).
        neighbours: the neighbours' images, best first (e.g. the paths of SimilarityIndex.search's ids).
        scores: one score per neighbour (captioned with 3 decimals).
        path: the PNG file to write.
        names: optional names shown after the scores (e.g. file names).
        tile: thumbnail side in pixels; columns: tiles per row.

    Returns:
        The sheet as a PIL image.

    Example:
        >>> ids, scores = index.search(extract_features(base, [query]), k=5)
        >>> contact_sheet(query, ids[0], scores[0], "similar.png")
    """
    neighbours, scores = list(neighbours), [float(score) for score in scores]
    if len(neighbours) != len(scores):
        raise ValueError(f"contact_sheet: {len(neighbours)} neighbours but {len(scores)} scores; pass one score "
                         f"per neighbour.")
    captions = [f"{score:.3f}" for score in scores]
    if names is not None:
        captions = [f"{caption} {name}" for caption, name in zip(captions, names)]
    return sheet([query] + neighbours, ["query"] + captions, path, tile, columns)


def cluster_sheets(images, labels, folder, per_cluster=12, tile=96, columns=6):
    """One contact sheet per cluster, `cluster_<label>.png` in `folder`, of its first `per_cluster` members
    captioned with their file names (or positions); returns the paths written, in label order. The folder is
    created if missing."""
    images, labels = list(images), np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(f"cluster_sheets: {len(images)} images but {len(labels)} labels; pass one label per image.")
    per_cluster = check_positive_int("cluster_sheets", "per_cluster", per_cluster)
    os.makedirs(folder, exist_ok=True)
    paths = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)[:per_cluster]
        captions = [_name(images[i], i) for i in members]
        paths.append(os.path.join(folder, f"cluster_{label}.png"))
        sheet([images[i] for i in members], captions, paths[-1], tile, columns)
    return paths


def map_picture(coordinates, images, path, labels=None, size=1200, thumbnail_size=48):
    """A PNG map: each image's thumbnail placed at its 2-D coordinates (e.g. map_2d's), later ones on top.

    Coordinates are scaled, keeping their aspect, so the thumbnails fill a size x size canvas with a GAP margin;
    `labels` (e.g. cluster labels) frame each thumbnail in its cluster's colour. Returns the PIL image.

    Example:
        >>> map_picture(map_2d(features), paths, "map.png", labels=cluster(features).labels)
    """
    points = np.asarray(coordinates, dtype=np.float64)
    images = list(images)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(images):
        raise ValueError(f"map_picture: `coordinates` must be (N, 2) for N = {len(images)} images, received shape "
                         f"{points.shape}.")
    size, thumbnail_size = check_positive_int("map_picture", "size", size), check_positive_int(
        "map_picture", "thumbnail_size", thumbnail_size)
    canvas = Image.new("RGB", (size, size), BACKGROUND)
    for index, (left, top) in enumerate(map_positions(points, size, thumbnail_size)):
        picture = thumbnail(images[index], thumbnail_size)
        if labels is not None:
            picture = ImageOps.expand(picture.crop((FRAME, FRAME, thumbnail_size - FRAME, thumbnail_size - FRAME)),
                                      FRAME, PALETTE[int(labels[index]) % len(PALETTE)])
        canvas.paste(picture, (left, top))
    save_png(canvas, path)
    return canvas


def map_positions(points, size, thumbnail_size):
    """The (left, top) pixel of each thumbnail: points scaled by one factor into the canvas less its margins."""
    low = points.min(axis=0)
    extent = float((points.max(axis=0) - low).max()) or 1.0
    room = size - 2 * GAP - thumbnail_size
    return np.rint(GAP + (points - low) / extent * room).astype(int).tolist()


def save_png(image, path):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    atomic_write(path, buffer.getvalue())


def fitted_text(text, draw, font, width):
    """text, shortened with '...' until it fits in `width` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "...", font=font) > width:
        text = text[:-1]
    return text + "..."


def _name(image, position):
    return os.path.basename(image) if isinstance(image, (str, os.PathLike)) else str(position)
