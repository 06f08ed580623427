"""Annotation readers for localization and regression from images: keypoints, bounding boxes, numeric targets.

Each reader returns an `Annotations`: the image paths (absolute, in file order) and one kind of target:

- `read_keypoints_csv`: (x, y) points per image, NaN where a point is missing;
- `read_voc` (a folder of Pascal VOC XML files) and `read_boxes_csv` (rows of filename, width, height, class,
  xmin, ymin, xmax, ymax): boxes with a class name each, and each image's size;
- `read_regression_csv`: one or more numbers per image (a steering angle, an age, a count).

Coordinates are pixels, x to the right and y down from the image's top-left corner, kept exactly as the file
writes them: nothing is shifted or rescaled (see `read_voc` for VOC's 1-based numbers). Every reader checks once
per image that the file exists. Boxes are checked: one with xmax < xmin or ymax < ymin is an error; one reaching
outside its image (negative, or beyond the width or height) is clipped to [0, width] x [0, height], with one
AnnotationWarning that lists them all.

Errors are ValueErrors naming the file and the line (1-based, as a text editor numbers them) or the XML file,
what was expected, what was received, and the fix.

XML is parsed with defusedxml when it is installed, else with the standard library's xml.etree.ElementTree,
which never fetches external entities and (with expat >= 2.4) limits entity expansion: it is meant for local
annotation files, not for XML from untrusted sources.
"""
import csv
import io
import math
import os
import warnings
from dataclasses import dataclass

import numpy as np

from lamina.identifiers import nearest_suggestion
from lamina.vision.data import EXTENSIONS

try:  # refuses entity-expansion and external-entity tricks; not a dependency of lamina
    from defusedxml import ElementTree as _xml
except ImportError:
    from xml.etree import ElementTree as _xml

LISTED_MISSING = 5    # missing images named in the error
LISTED_CLIPPED = 20   # clipped boxes named in the warning
MISSING_CELLS = ("", "nan")
BOX_COLUMNS = ("filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax")
PATH_NAMES = ("path", "image", "image_path", "filename", "file", "file_name", "image_name")
VOC_IMAGES = "JPEGImages"
IMAGE_SUFFIXES = tuple("." + extension for extension in EXTENSIONS)


class AnnotationWarning(UserWarning):
    """Annotations were changed while reading them: boxes reaching outside their image were clipped to it."""


@dataclass(repr=False)
class Annotations:
    """Image paths with one kind of target: points, boxes with class names, or numbers.

    The fields of the other kinds are None.

    Attributes:
        paths: absolute image paths, in file order (VOC: sorted XML file names).
        points: float32 (N, K, 2): K (x, y) points per image in pixels; NaN for a missing point.
        point_names: the K names, from the header ('left_eye_x', 'left_eye_y' -> 'left_eye'), else 'point_0', ...
        boxes: N float32 arrays (M_i, 4) of (x_min, y_min, x_max, y_max) in pixels, M_i >= 0.
        labels: N lists of M_i class names, one per box.
        class_names: the sorted distinct class names.
        difficult: N bool arrays (M_i,): VOC's `difficult` flag (read_voc only; read_boxes_csv: None).
        values: float32 (N,) for one target column, (N, T) for a list of T columns.
        value_names: the T target columns' names (header names, else 'column 3', ...).
        image_sizes: int64 (N, 2) of (width, height) when the file gives them (boxes), else None.

    Example:
        >>> data = read_boxes_csv("train_labels.csv")
        >>> data.kind, len(data), data.class_names
        ('boxes', 120, ['cat', 'dog'])
        >>> data.boxes[0], data.labels[0], data.class_indices()[0]
        (array([[ 10.,  20., 110., 140.]], dtype=float32), ['dog'], array([1]))
    """

    paths: list
    points: np.ndarray = None
    point_names: list = None
    boxes: list = None
    labels: list = None
    class_names: list = None
    difficult: list = None
    values: np.ndarray = None
    value_names: list = None
    image_sizes: np.ndarray = None

    def __len__(self):
        return len(self.paths)

    @property
    def kind(self):
        """'points', 'boxes' or 'values': the kind of target held."""
        return next(kind for kind in ("points", "boxes", "values") if getattr(self, kind) is not None)

    def class_indices(self):
        """The labels as positions in `class_names`: N int64 arrays (M_i,). Boxes only."""
        if self.boxes is None:
            raise ValueError(f"Annotations.class_indices(): these annotations hold {self.kind}, not boxes with "
                             f"class names.")
        position = {name: index for index, name in enumerate(self.class_names)}
        return [np.array([position[label] for label in labels], dtype=np.int64) for labels in self.labels]

    def __repr__(self):
        if self.kind == "points":
            missing = int(np.isnan(self.points[..., 0]).sum())
            detail = f"{len(self.point_names)} points each ({', '.join(self.point_names)}), {missing} missing"
        elif self.kind == "boxes":
            detail = (f"{_counted(sum(len(boxes) for boxes in self.boxes), 'box', 'boxes')} of "
                      f"{_counted(len(self.class_names), 'class', 'classes')} ({', '.join(self.class_names)})")
        else:
            detail = f"targets {', '.join(self.value_names)}"
        return f"Annotations({_counted(len(self), 'image')}, {detail})"


def read_keypoints_csv(path, image_root=None, header=None):
    """Keypoints per image from a CSV (.tsv: tab-separated) file of rows 'image path, x1, y1, x2, y2, ...'.

    Coordinates are pixels as written. An empty cell or 'nan' (any case) is a missing coordinate; a point missing
    both is NaN in `points`, a point missing one of them is an error. -1 and 0 are not treated as missing.

    Args:
        path: the CSV file.
        image_root: the folder relative image paths start from (default: the CSV file's folder).
        header: whether the first row names the columns; None: yes when one of its coordinates is text (not a
            number, empty or 'nan') and its first cell is not an image file name. The coordinate columns' names
            give the point names: 'left_eye_x', 'left_eye_y' -> 'left_eye'; 'x_nose', 'y_nose' -> 'nose';
            other pairs 'a/b'. Without a header: 'point_0', 'point_1', ...

    Returns:
        Annotations with `paths`, `points` float32 (N, K, 2) and `point_names`.

    Raises:
        ValueError: naming the file and line: an odd number of coordinate columns, a row with another number of
            columns than the first, a coordinate that is not a finite number, a point with one coordinate
            missing, an empty image path, no rows; or listing image files that do not exist.

    Example:
        >>> faces = read_keypoints_csv("faces/points.csv")   # image,left_eye_x,left_eye_y,right_eye_x,...
        >>> faces.points.shape, faces.point_names
        ((200, 3, 2), ['left_eye', 'right_eye', 'nose'])
    """
    path = os.fspath(path)
    rows = _required_rows(path, _csv_rows(path), "'image.png, x1, y1, x2, y2, ...'")
    first_line, first = rows[0]
    coordinates = len(first) - 1
    if coordinates < 2 or coordinates % 2:
        raise ValueError(f"{path}, line {first_line}: {coordinates} coordinate columns after the image path; "
                         f"expected (x, y) pairs, an even number of at least 2 ('image.png, x1, y1, x2, y2, ...'). "
                         f"Add or remove a column.")
    header = _keypoint_header(first) if header is None else header
    names = _point_names(first[1:]) if header else [f"point_{index}" for index in range(coordinates // 2)]
    data = _required_rows(path, rows[1:] if header else rows, "data rows after the header (the first row)")
    root = _image_root(path, image_root)
    paths, points = [], np.empty((len(data), len(names), 2), np.float32)
    for index, (line, cells) in enumerate(data):
        place = f"{path}, line {line}"
        if len(cells) != len(first):
            raise ValueError(f"{place}: {len(cells)} columns, expected {len(first)} (the image path and "
                             f"{coordinates} coordinates, as on line {first_line}). Fix the row.")
        paths.append(_image_path(place, cells[0], root))
        points[index] = _row_points(place, cells[1:], names)
    _require_images(path, paths, [f"line {line}" for line, _ in data], _root_hint(root, "image_root"))
    return Annotations(paths, points=points, point_names=names)


def read_voc(folder, image_folder=None):
    """Boxes from Pascal VOC XML files: <annotation> with <filename>, <size> and <object>s.

    Each object gives <name> and <bndbox> (<xmin> <ymin> <xmax> <ymax>). Coordinates are kept exactly as the
    file writes them, as torchvision's VOCDetection does. VOC's numbers are 1-based pixel indices with xmax and
    ymax inclusive, so a box over a whole 500 x 375 image reads (1, 1, 500, 375); for 0-based continuous
    coordinates (where the whole image is (0, 0, 500, 375), as in `read_boxes_csv`'s usual files) subtract 1
    from x_min and y_min. Boxes are clipped to [0, width] x [0, height] (with one AnnotationWarning).

    `difficult` objects are kept, with `Annotations.difficult` True for them (VOC's evaluation ignores them;
    drop them with `boxes[i][~difficult[i]]`). <truncated>, <pose>, <part> and <path> are not read. An image
    whose <size> is missing or 0 x 0 is measured with Pillow.

    Args:
        folder: a folder of .xml files (e.g. VOC2012/Annotations; other files and hidden files are ignored),
            or one .xml file.
        image_folder: where the <filename>s are (default: the `JPEGImages` folder beside `folder` if there is
            one, as in VOCdevkit/VOC2012/, else `folder` itself).

    Returns:
        Annotations with `paths` (sorted by XML file name), `boxes`, `labels`, `class_names`, `difficult` and
        `image_sizes`.

    Raises:
        ValueError: naming the XML file: malformed XML, no <annotation>, <filename>, <name> or <bndbox>,
            coordinates that are not numbers, xmax < xmin or ymax < ymin; or listing images that do not exist.

    Example:
        >>> voc = read_voc("VOCdevkit/VOC2012/Annotations")      # images in VOCdevkit/VOC2012/JPEGImages
        >>> voc.labels[0], voc.boxes[0], voc.difficult[0]
        (['dog', 'person'], array([[ 48., 240., 195., 371.], [  8.,  12., 352., 498.]], dtype=float32),
         array([False, False]))
    """
    folder = os.fspath(folder)
    xml_files = _xml_files(folder)
    xml_folder = os.path.dirname(os.path.abspath(folder)) if os.path.isfile(folder) else os.path.abspath(folder)
    root = _voc_image_folder(xml_folder, image_folder)
    records = [_voc_file(xml_file, root) for xml_file in xml_files]
    paths = [record["path"] for record in records]
    _require_images(folder, paths, [os.path.basename(xml_file) for xml_file in xml_files],
                    _root_hint(root, "image_folder"))
    sizes = [record["size"] or _measured(record["path"]) for record in records]
    boxes = [record["boxes"] for record in records]
    clipped = _clip(boxes, [record["places"] for record in records], sizes)
    if clipped:
        _warn_clipped(folder, clipped)
    labels = [record["labels"] for record in records]
    return Annotations(paths, boxes=boxes, labels=labels, class_names=sorted({n for row in labels for n in row}),
                       difficult=[record["difficult"] for record in records],
                       image_sizes=np.array(sizes, dtype=np.int64).reshape(-1, 2))


def read_boxes_csv(path, image_root=None):
    """Boxes from a CSV (.tsv: tab-separated) file of rows filename,width,height,class,xmin,ymin,xmax,ymax.

    The format of TensorFlow's Object Detection API and of LabelImg's CSV exports: one row per box, several rows
    per image. The header is required and names the columns in any order (other columns are ignored). Rows are
    grouped by image in first-appearance order; a row with an empty class and an empty box lists an image with
    no objects. Coordinates are pixels, kept as written (x_min, y_min, x_max, y_max); boxes are clipped to
    [0, width] x [0, height] (with one AnnotationWarning).

    Args:
        path: the CSV file.
        image_root: the folder relative file names start from (default: the CSV file's folder).

    Returns:
        Annotations with `paths`, `boxes`, `labels`, `class_names` and `image_sizes`.

    Raises:
        ValueError: naming the file and line: a missing column, a number that is not one, a width or height
            that is not positive or differs from an earlier row of the image, a class without a box or a box
            without a class, xmax < xmin or ymax < ymin; or listing images that do not exist.

    Example:
        >>> data = read_boxes_csv("train_labels.csv")
        >>> data.paths[0], data.image_sizes[0], data.labels[0]
        ('/data/images/1.jpg', array([640, 480]), ['cat', 'cat'])
    """
    path = os.fspath(path)
    rows = _required_rows(path, _csv_rows(path), "a header naming " + ", ".join(BOX_COLUMNS))
    columns = _box_columns(path, *rows[0])
    root = _image_root(path, image_root)
    images = {}
    for line, cells in _required_rows(path, rows[1:], "rows after the header"):
        place = f"{path}, line {line}"
        file, size, label, box = _box_row(place, cells, columns)
        image = images.setdefault(_image_path(place, file, root), {"line": line, "size": size, "labels": [],
                                                                   "boxes": [], "places": []})
        if size != image["size"]:
            raise ValueError(f"{place}: {file!r} is {size[0]} x {size[1]} pixels, but {image['size'][0]} x "
                             f"{image['size'][1]} on line {image['line']}. Give each image one width and height.")
        if label is not None:
            image["labels"].append(label)
            image["boxes"].append(box)
            image["places"].append(f"line {line}")
    paths = list(images)
    _require_images(path, paths, [f"line {image['line']}" for image in images.values()],
                    _root_hint(root, "image_root"))
    records = list(images.values())
    boxes = [np.array(record["boxes"], dtype=np.float32).reshape(-1, 4) for record in records]
    sizes = [record["size"] for record in records]
    clipped = _clip(boxes, [record["places"] for record in records], sizes)
    if clipped:
        _warn_clipped(path, clipped)
    labels = [record["labels"] for record in records]
    return Annotations(paths, boxes=boxes, labels=labels, class_names=sorted({n for row in labels for n in row}),
                       image_sizes=np.array(sizes, dtype=np.int64).reshape(-1, 2))


def read_regression_csv(path, target_column, path_column=None, image_root=None, header=None):
    """Numeric targets per image (a steering angle, an age, a count) from a CSV (.tsv: tab-separated) file.

    Args:
        path: the CSV file.
        target_column: the target's column, by header name or index (an int or a string of digits, 0-based),
            or a list of them for several targets.
        path_column: the image path's column (name or index); default: the header's 'path', 'image',
            'image_path', 'filename', 'file', 'file_name' or 'image_name' column, else the first column whose
            first cell is an image file name, else column 0.
        image_root: the folder relative image paths start from (default: the CSV file's folder).
        header: whether the first row names the columns; None: yes when a column is given by name, or when a
            target cell of the first row is not a number.

    Returns:
        Annotations with `paths`, `values` float32 (N,) (for a list of T columns: (N, T)) and `value_names`.

    Raises:
        ValueError: naming the file and line: a target that is not a finite number, a row without the columns;
            a column name not in the header (the header's columns are listed); or listing missing images.

    Example:
        >>> drive = read_regression_csv("driving_log.csv", target_column="steering", path_column="center")
        >>> drive.values.shape, drive.value_names
        ((8036,), ['steering'])
    """
    path = os.fspath(path)
    rows = _required_rows(path, _csv_rows(path), "rows of an image path and a number")
    several = isinstance(target_column, (list, tuple))
    targets = list(target_column) if several else [target_column]
    if header is None:
        header = _regression_header(rows[0][1], targets, path_column)
    names = rows[0][1] if header else []
    data = _required_rows(path, rows[1:] if header else rows, "data rows after the header (the first row)")
    target_indices = [_column_index(path, names, column, "target") for column in targets]
    path_index = _path_index(path, names, path_column, data[0][1], target_indices)
    root = _image_root(path, image_root)
    value_names = [names[index] if names else f"column {index}" for index in target_indices]
    paths, values = [], np.empty((len(data), len(targets)), np.float32)
    for row, (line, cells) in enumerate(data):
        place = f"{path}, line {line}"
        needed = max(target_indices + [path_index]) + 1
        if len(cells) < needed:
            raise ValueError(f"{place}: {len(cells)} column{'s' if len(cells) != 1 else ''}, but {needed} are "
                             f"needed (columns are numbered from 0: the image path is column {path_index}, the "
                             f"target{'s' if several else ''} {', '.join(map(str, target_indices))}). Fix the row.")
        paths.append(_image_path(place, cells[path_index], root))
        values[row] = [_number(place, cells[index], f"the target {label!r}")
                       for index, label in zip(target_indices, value_names)]
    _require_images(path, paths, [f"line {line}" for line, _ in data], _root_hint(root, "image_root"))
    return Annotations(paths, values=values if several else values[:, 0], value_names=value_names)


# CSV cells, numbers and paths.

def _csv_rows(path):
    """[(line, cells)] of the non-blank rows, cells stripped; line: where the row starts (1-based)."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ValueError(f"{path}, line {line}: byte {data[error.start:error.start + 1]!r} is not UTF-8 text. "
                         f"Save the file as UTF-8.") from None
    reader = csv.reader(io.StringIO(text), delimiter="\t" if path.lower().endswith(".tsv") else ",")
    rows, line = [], 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((line, [cell.strip() for cell in cells]))
            line = reader.line_num + 1
    except csv.Error as error:
        raise ValueError(f"{path}, line {line}: not readable as CSV ({error}). Fix the row.") from None
    return rows


def _required_rows(path, rows, expected):
    if not rows:
        raise ValueError(f"{path}: no rows; expected {expected}.")
    return rows


def _is_number(cell):
    """Whether float() reads the cell ('nan' and 'inf' included: they are numbers, if unusable ones)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _number(place, cell, what):
    """float(cell); a ValueError naming `place` and `what` when the cell is not a finite number."""
    try:
        value = float(cell)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        received = "an empty cell" if not cell else repr(cell)
        raise ValueError(f"{place}: {what} must be a finite number, received {received}. Fix the cell.")
    return value


def _image_root(path, image_root):
    return os.path.abspath(os.fspath(image_root)) if image_root is not None else os.path.dirname(
        os.path.abspath(path))


def _image_path(place, cell, root):
    if not cell:
        raise ValueError(f"{place}: the image path is empty. Fill it in or remove the row.")
    return os.path.normpath(os.path.join(root, cell))


def _root_hint(root, argument):
    return f"Relative paths start from {root!r}; pass {argument}= the images' folder, or fix the paths."


def _require_images(source, paths, places, hint):
    """A ValueError listing (up to LISTED_MISSING of) the images that do not exist; each checked once."""
    first_place = {}
    for image, place in zip(paths, places):
        first_place.setdefault(image, place)
    missing = [(image, place) for image, place in first_place.items() if not os.path.isfile(image)]
    if missing:
        listed = "; ".join(f"{image} ({place})" for image, place in missing[:LISTED_MISSING])
        more = f" and {len(missing) - LISTED_MISSING} more" if len(missing) > LISTED_MISSING else ""
        raise ValueError(f"{source}: {len(missing)} of {len(first_place)} images do not exist: {listed}{more}. "
                         f"{hint}")


def _counted(count, word, plural=None):
    """'1 box', '2 boxes'."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


# Keypoints.

def _keypoint_header(cells):
    """A first row is a header when a coordinate is text and its first cell is not an image file name."""
    if cells[0].lower().endswith(IMAGE_SUFFIXES):
        return False
    return any(cell.lower() not in MISSING_CELLS and not _is_number(cell) for cell in cells[1:])


def _point_names(columns):
    """'left_eye_x', 'left_eye_y' -> 'left_eye'; 'x_nose', 'y_nose' -> 'nose'; 'x1', 'y1' -> 'point_1'."""
    names = []
    for index, (x_name, y_name) in enumerate(zip(columns[0::2], columns[1::2])):
        x_lower, y_lower = x_name.lower(), y_name.lower()
        if x_lower[-1:] == "x" and y_lower[-1:] == "y" and x_lower[:-1] == y_lower[:-1]:
            stem = x_name[:-1].rstrip("_.- ")
        elif x_lower[:1] == "x" and y_lower[:1] == "y" and x_lower[1:] == y_lower[1:]:
            stem = x_name[1:].lstrip("_.- ")
        else:
            stem = f"{x_name}/{y_name}"
        names.append(f"point_{stem or index}" if not stem or stem.isdigit() else stem)
    return names


def _row_points(place, cells, names):
    """(K, 2) float32 points of one row: NaN for a point whose two cells are empty or 'nan'."""
    points = np.full((len(names), 2), np.nan, np.float32)
    for index, name in enumerate(names):
        x, y = cells[2 * index], cells[2 * index + 1]
        x_missing, y_missing = x.lower() in MISSING_CELLS, y.lower() in MISSING_CELLS
        if x_missing != y_missing:
            given, absent = ("y", "x") if x_missing else ("x", "y")
            raise ValueError(f"{place}: point {name!r} has {given} = {(y if x_missing else x)!r} but no {absent}; "
                             f"a point needs both coordinates, or neither for a missing point. Fill in {absent} or "
                             f"empty both cells.")
        if not x_missing:
            points[index] = (_number(place, x, f"x of point {name!r}"), _number(place, y, f"y of point {name!r}"))
    return points


# Boxes.

def _box_columns(path, line, names):
    """{column name: index} of the header row; a ValueError naming the missing columns."""
    lowered = [name.lower() for name in names]
    missing = [name for name in BOX_COLUMNS if name not in lowered]
    if missing:
        if names[0].lower().endswith(IMAGE_SUFFIXES):
            problem = "has no header row"
        else:
            others = [name for name in names if name.lower() not in BOX_COLUMNS]
            problem = (f"the header lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
                       f"{nearest_suggestion(missing[0], others)}")
        raise ValueError(f"{path}, line {line}: {problem}; expected a header naming {', '.join(BOX_COLUMNS)} "
                         f"(any order), received {', '.join(names)}. Rename the columns or add the header row.")
    return {name: lowered.index(name) for name in BOX_COLUMNS}


def _box_row(place, cells, columns):
    """(file name, (width, height), class or None, box or None) of one row."""
    if len(cells) <= max(columns.values()):
        raise ValueError(f"{place}: {len(cells)} columns, but the header has {max(columns.values()) + 1}. Fix the "
                         f"row.")
    cell = {name: cells[index] for name, index in columns.items()}
    size = tuple(_size(place, cell[name], name) for name in ("width", "height"))
    corners = [cell[name] for name in BOX_COLUMNS[4:]]
    if not cell["class"] and not any(corners):
        return cell["filename"], size, None, None  # an image without objects
    if not cell["class"]:
        raise ValueError(f"{place}: a box without a class. Fill in the class, or empty the box's cells too to "
                         f"list an image without objects.")
    if not any(corners):
        raise ValueError(f"{place}: class {cell['class']!r} without a box. Fill in xmin, ymin, xmax, ymax, or "
                         f"empty the class too to list an image without objects.")
    box = [_number(place, value, name) for name, value in zip(BOX_COLUMNS[4:], corners)]
    return cell["filename"], size, cell["class"], _checked_box(place, box)


def _size(place, cell, name):
    value = _number(place, cell, f"the {name}")
    if value <= 0 or value != int(value):
        raise ValueError(f"{place}: the {name} must be a positive whole number of pixels, received {cell!r}. Fix "
                         f"the cell.")
    return int(value)


def _checked_box(place, box):
    """The box (x_min, y_min, x_max, y_max); a ValueError when x_max < x_min or y_max < y_min."""
    x_min, y_min, x_max, y_max = box
    for axis, low, high in (("x", x_min, x_max), ("y", y_min, y_max)):
        if high < low:
            raise ValueError(f"{place}: the box ({x_min:g}, {y_min:g}, {x_max:g}, {y_max:g}) has {axis}max < "
                             f"{axis}min; expected xmin <= xmax and ymin <= ymax (xmin, ymin, xmax, ymax in "
                             f"pixels). Swap the values or fix the box.")
    return box


def _clip(boxes, places, sizes):
    """Clips each image's boxes to [0, width] x [0, height] in place; returns descriptions of the clipped ones."""
    clipped = []
    for image_boxes, image_places, (width, height) in zip(boxes, places, sizes):
        inside = np.clip(image_boxes, 0, np.array([width, height, width, height], np.float32))
        for place, box, new in zip(image_places, image_boxes, inside):
            if not np.array_equal(box, new):
                clipped.append(f"{place} ({', '.join(f'{value:g}' for value in box)} in {width} x {height})")
        image_boxes[...] = inside
    return clipped


def _warn_clipped(source, clipped):
    listed = "; ".join(clipped[:LISTED_CLIPPED])
    more = f" and {len(clipped) - LISTED_CLIPPED} more" if len(clipped) > LISTED_CLIPPED else ""
    warnings.warn(f"{source}: clipped {_counted(len(clipped), 'box', 'boxes')} reaching outside their image to "
                  f"[0, width] x [0, height]: {listed}{more}. Fix the boxes (or the image sizes) to silence this.",
                  AnnotationWarning, stacklevel=3)


# Pascal VOC.

def _xml_files(folder):
    if os.path.isfile(folder):
        return [folder]
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"read_voc: no such folder: {folder!r}. Pass a folder of Pascal VOC .xml files "
                                f"(e.g. VOCdevkit/VOC2012/Annotations).")
    files = sorted(name for name in os.listdir(folder) if name.lower().endswith(".xml") and not name.startswith("."))
    if not files:
        raise ValueError(f"read_voc: {folder!r} holds no .xml files. Pass the folder of Pascal VOC annotations "
                         f"(e.g. VOCdevkit/VOC2012/Annotations).")
    return [os.path.join(folder, name) for name in files]


def _voc_image_folder(xml_folder, image_folder):
    if image_folder is not None:
        return os.path.abspath(os.fspath(image_folder))
    sibling = os.path.join(os.path.dirname(xml_folder), VOC_IMAGES)
    return sibling if os.path.isdir(sibling) else xml_folder


def _voc_file(xml_file, image_folder):
    """{path, size (or None), boxes, labels, difficult, places} of one VOC XML file."""
    try:
        annotation = _xml.parse(xml_file).getroot()
    except (_xml.ParseError, ValueError) as error:  # defusedxml's refusals are ValueErrors
        raise ValueError(f"{xml_file}: malformed XML ({error}). Fix or remove the file.") from None
    if annotation.tag != "annotation":
        raise ValueError(f"{xml_file}: the root element is <{annotation.tag}>, expected <annotation> (Pascal VOC). "
                         f"Remove the file from the folder.")
    objects = [_voc_object(xml_file, number, element)
               for number, element in enumerate(annotation.findall("object"), start=1)]
    return {"path": os.path.normpath(os.path.join(image_folder, _voc_text(xml_file, annotation, "filename"))),
            "size": _voc_size(xml_file, annotation),
            "boxes": np.array([box for _, box, _ in objects], dtype=np.float32).reshape(-1, 4),
            "labels": [name for name, _, _ in objects],
            "difficult": np.array([difficult for _, _, difficult in objects], dtype=bool),
            "places": [f"{os.path.basename(xml_file)} object {number}" for number in range(1, len(objects) + 1)]}


def _voc_text(xml_file, element, tag, where="<annotation>"):
    child = element.find(tag)
    text = (child.text or "").strip() if child is not None else ""
    if not text:
        raise ValueError(f"{xml_file}: {where} has no <{tag}> (or it is empty); expected e.g. "
                         f"<{tag}>{'dog' if tag == 'name' else '48'}</{tag}>. Add it.")
    return text


def _voc_size(xml_file, annotation):
    """(width, height) from <size>, or None when it is missing or 0 x 0 (then Pillow measures the image)."""
    size = annotation.find("size")
    if size is None or all((size.findtext(tag) or "0").strip() in ("0", "") for tag in ("width", "height")):
        return None
    return tuple(_size(f"{xml_file}, <size>", _voc_text(xml_file, size, tag, "<size>"), tag)
                 for tag in ("width", "height"))


def _voc_object(xml_file, number, element):
    """(class name, box, difficult) of the number-th <object>."""
    where = f"<object> {number}"
    name = _voc_text(xml_file, element, "name", where)
    where = f"<object> {number} ({name})"
    bndbox = element.find("bndbox")
    if bndbox is None:
        raise ValueError(f"{xml_file}: {where} has no <bndbox>; expected <bndbox><xmin>..</xmin><ymin>..</ymin>"
                         f"<xmax>..</xmax><ymax>..</ymax></bndbox>. Add it or remove the object.")
    place = f"{xml_file}, {where}"
    box = [_number(place, _voc_text(xml_file, bndbox, tag, f"{where} <bndbox>"), f"<{tag}>")
           for tag in BOX_COLUMNS[4:]]
    difficult = (element.findtext("difficult") or "0").strip()
    if difficult not in ("0", "1"):
        raise ValueError(f"{place}: <difficult> must be 0 or 1, received {difficult!r}. Fix it.")
    return name, _checked_box(place, box), difficult == "1"


def _measured(path):
    """(width, height) of an image file, read by Pillow from its header."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path}: its XML gives no <size> and Pillow cannot read the image ({error}). Add "
                         f"<size><width>..</width><height>..</height></size> or replace the image.") from None


# Regression columns.

def _regression_header(first, targets, path_column):
    """Whether the first row is a header: a column is given by name, or a target cell of it is not a number."""
    if any(isinstance(column, str) and not column.isdigit() for column in targets + [path_column]):
        return True
    indices = [int(column) for column in targets if isinstance(column, (int, str)) and str(column).isdigit()]
    return any(index < len(first) and not _is_number(first[index]) for index in indices)


def _column_index(path, names, column, role):
    """The index of a column given by header name or index (an int or a string of digits)."""
    if isinstance(column, bool) or not isinstance(column, (int, str)):
        raise TypeError(f"read_regression_csv: the {role} column must be a header name or an index, received "
                        f"{column!r}.")
    if isinstance(column, int) or column.isdigit():
        index = int(column)
        if index < 0 or (names and index >= len(names)):
            raise ValueError(f"{path}: no {role} column {index}; the file has {len(names) or 'other'} columns, "
                             f"numbered from 0. Pass another index or a header name.")
        return index
    if not names:
        raise ValueError(f"{path}: the {role} column {column!r} is a name, but the file is read without a header. "
                         f"Pass a column index, or header=True.")
    if column not in names:
        raise ValueError(f"{path}: no {role} column {column!r}.{nearest_suggestion(column, names)} The header's "
                         f"columns are {', '.join(names)}. Pass a name from the header or a column index.")
    return names.index(column)


def _path_index(path, names, path_column, first_row, target_indices):
    """The image path's column: given, a usual header name, the first image file name, or 0."""
    if path_column is not None:
        index = _column_index(path, names, path_column, "path")
    else:
        usual = [i for i, name in enumerate(names) if name.lower() in PATH_NAMES and i not in target_indices]
        images = [i for i, cell in enumerate(first_row) if cell.lower().endswith(IMAGE_SUFFIXES)]
        index = (usual or images or [0])[0]
    if index in target_indices:
        raise ValueError(f"{path}: column {index} is both the image path and a target. Pass path_column= the "
                         f"column of image paths.")
    return index
