"""Points and boxes drawn on images, true against predicted, and a sheet of validation results (Pillow).

True targets are drawn in green, predictions in red; points as small crosses (missing ones, NaN, are skipped),
boxes as rectangles with their class name. Images are scaled up by `scale` so small ones stay readable.
"""
import numpy as np
from PIL import ImageDraw, ImageFont

from lamina.vision.pictures import as_image, save_png, sheet

TRUE, PREDICTED = (40, 170, 60), (220, 40, 40)


def draw_targets(image, points=None, boxes=None, labels=None, predicted_points=None, predicted_boxes=None,
                 predicted_labels=None, scale=4, path=None):
    """The image (a path, PIL image or array) scaled by `scale`, with true (green) and predicted (red) points
    (K, 2) and boxes (M, 4) in the image's pixels drawn on it; written as PNG (atomically) when `path` is given."""
    picture = as_image(image).convert("RGB")
    picture = picture.resize((picture.width * scale, picture.height * scale))
    draw, font = ImageDraw.Draw(picture), ImageFont.load_default(size=12)
    for colour, target_points, target_boxes, names in ((TRUE, points, boxes, labels),
                                                       (PREDICTED, predicted_points, predicted_boxes,
                                                        predicted_labels)):
        for x, y in np.asarray(target_points if target_points is not None else np.zeros((0, 2))) * scale:
            if np.isfinite(x) and np.isfinite(y):
                draw.line([(x - 4, y), (x + 4, y)], fill=colour, width=2)
                draw.line([(x, y - 4), (x, y + 4)], fill=colour, width=2)
        boxes_array = np.asarray(target_boxes if target_boxes is not None else np.zeros((0, 4))).reshape(-1, 4)
        for index, box in enumerate(boxes_array * scale):
            draw.rectangle([float(value) for value in box], outline=colour, width=2)
            if names is not None:
                draw.text((float(box[0]) + 3, float(box[1]) + 2), str(names[index]), fill=colour, font=font)
    if path is not None:
        save_png(picture, path)
    return picture


def results_sheet(images, path, points=None, predicted_points=None, boxes=None, predicted_boxes=None,
                  captions=None, scale=2, tile=160, columns=4):
    """A grid of images with their true and predicted targets drawn on each (draw_targets), one caption under
    each (default: the image's number), written to `path` (PNG); returns the PIL image."""
    count = len(images)

    def pick(values, index):
        return None if values is None else values[index]

    drawn = [draw_targets(images[index], pick(points, index), pick(boxes, index),
                          predicted_points=pick(predicted_points, index), predicted_boxes=pick(predicted_boxes, index),
                          scale=scale) for index in range(count)]
    return sheet(drawn, captions or [str(index) for index in range(count)], path, tile=tile, columns=columns)
