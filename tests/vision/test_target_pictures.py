"""Points and boxes drawn on images: true in green, predicted in red, where the coordinates say; missing points
skipped; the validation sheet holds one tile per image."""
import numpy as np
from PIL import Image

from lamina.vision.pictures import CAPTION, GAP
from lamina.vision.target_pictures import PREDICTED, TRUE, draw_targets, results_sheet


def test_points_and_boxes_are_drawn_where_their_coordinates_say(tmp_path):
    image = np.full((3, 32, 48), 255, dtype=np.uint8)
    picture = draw_targets(image, points=[[10, 8], [np.nan, np.nan]], boxes=[[20, 4, 40, 28]], labels=["car"],
                           predicted_points=[[30, 20]], scale=4, path=tmp_path / "drawn.png")
    pixels = np.asarray(picture)
    assert picture.size == (48 * 4, 32 * 4)
    assert tuple(pixels[8 * 4, 10 * 4]) == TRUE and tuple(pixels[20 * 4, 30 * 4]) == PREDICTED
    assert tuple(pixels[4 * 4, 30 * 4]) == TRUE and tuple(pixels[16 * 4, 20 * 4]) == TRUE  # the box's edges
    assert tuple(pixels[16 * 4, 30 * 4]) == (255, 255, 255)  # inside the box: untouched
    with Image.open(tmp_path / "drawn.png") as written:
        assert np.array_equal(np.asarray(written.convert("RGB")), pixels)


def test_the_results_sheet_has_one_tile_per_image(tmp_path):
    images = [np.zeros((3, 16, 16), dtype=np.uint8) for _ in range(5)]
    points = np.full((5, 1, 2), 8.0)
    sheet = results_sheet(images, tmp_path / "sheet.png", points=points, predicted_points=points + 1, columns=3)
    assert (tmp_path / "sheet.png").exists()
    assert sheet.size == (GAP + 3 * (160 + GAP), GAP + 2 * (160 + CAPTION + GAP))  # 3 columns, 2 rows of tiles
