"""lamina.vision.annotations: keypoint, box (Pascal VOC and CSV) and regression readers, and their errors.

Every file is written in tmp_path with the expected numbers written out by hand in the test; images are tiny PNGs.
"""
import os
import re
import warnings

import numpy as np
import pytest
from PIL import Image

from lamina.vision.annotations import (AnnotationWarning, Annotations, read_boxes_csv, read_keypoints_csv,
                                       read_regression_csv, read_voc)


def png(path, size=(40, 30)):
    """A tiny grey PNG of `size` (width, height) at path (folders made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (90, 90, 90)).save(path)
    return path


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def images(folder, *names, size=(40, 30)):
    for name in names:
        png(folder / name, size)


def error(function, *args, **kwargs):
    """The message of the ValueError that function(*args, **kwargs) raises."""
    with pytest.raises(ValueError) as raised:
        function(*args, **kwargs)
    return str(raised.value)


# Keypoints.

def test_keypoints_with_header_names_points_and_missing_points_are_nan(tmp_path):
    images(tmp_path / "faces", "a.png", "b.png", "c.png")
    csv = write(tmp_path / "points.csv", "image,left_eye_x,left_eye_y,right_eye_x,right_eye_y,x_nose,y_nose\n"
                                         "faces/a.png,10,12,30,12.5,20,20\n"
                                         "faces/b.png,,,31,13,NaN,nan\n"
                                         "faces/c.png,1.5,2,0,0,-3,40\n")
    data = read_keypoints_csv(csv)
    assert data.kind == "points" and len(data) == 3
    assert data.paths == [str(tmp_path / "faces" / name) for name in ("a.png", "b.png", "c.png")]
    assert data.point_names == ["left_eye", "right_eye", "nose"]
    assert data.points.dtype == np.float32 and data.points.shape == (3, 3, 2)
    expected = np.array([[[10, 12], [30, 12.5], [20, 20]],
                         [[np.nan, np.nan], [31, 13], [np.nan, np.nan]],
                         [[1.5, 2], [0, 0], [-3, 40]]], np.float32)
    np.testing.assert_array_equal(data.points, expected)
    assert data.boxes is None and data.values is None and data.image_sizes is None
    assert repr(data) == "Annotations(3 images, 3 points each (left_eye, right_eye, nose), 2 missing)"


def test_keypoints_without_header_and_forced_header(tmp_path):
    images(tmp_path, "a.png", "b.jpg")
    csv = write(tmp_path / "points.csv", "a.png,1,2,3,4\nb.jpg,5,6,7,8\n")
    data = read_keypoints_csv(csv)
    assert data.point_names == ["point_0", "point_1"]
    np.testing.assert_array_equal(data.points, [[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
    first_row_is_header = read_keypoints_csv(csv, header=True)
    assert first_row_is_header.paths == [str(tmp_path / "b.jpg")]
    assert first_row_is_header.point_names == ["1/2", "3/4"]
    numbered = write(tmp_path / "numbered.csv", "file,x1,y1,x2,y2,a,b\na.png,1,2,3,4,5,6\n")
    assert read_keypoints_csv(numbered).point_names == ["point_1", "point_2", "a/b"]
    # header=False makes a text coordinate an error instead of a header
    assert "line 1" in error(read_keypoints_csv, numbered, header=False)


def test_keypoints_image_root_tsv_and_editor_line_numbers(tmp_path):
    images(tmp_path / "pictures", "a.png", "b.png")
    tsv = write(tmp_path / "labels" / "points.tsv", "path\tx\ty\n\n\"a.png\"\t1\t2\n\nb.png\t3\tfour\n")
    message = error(read_keypoints_csv, tsv, image_root=tmp_path / "pictures")
    assert message.startswith(f"{tsv}, line 5:") and "'four'" in message and "point_0" in message
    write(tsv, "path\tx\ty\n\na.png\t1\t2\n")
    data = read_keypoints_csv(tsv, image_root=tmp_path / "pictures")
    assert data.paths == [str(tmp_path / "pictures" / "a.png")] and data.point_names == ["point_0"]


def test_keypoints_odd_coordinate_count_is_an_error(tmp_path):
    csv = write(tmp_path / "points.csv", "image,a_x,a_y,b_x\na.png,1,2,3\n")
    message = error(read_keypoints_csv, csv)
    assert f"{csv}, line 1" in message and "3 coordinate columns" in message and "pairs" in message


def test_keypoints_half_missing_point_names_row_and_point(tmp_path):
    images(tmp_path, "a.png", "b.png")
    csv = write(tmp_path / "points.csv", "image,left_eye_x,left_eye_y\na.png,1,2\nb.png,5,\n")
    message = error(read_keypoints_csv, csv)
    assert f"{csv}, line 3" in message and "'left_eye'" in message and "no y" in message and "both" in message


def test_keypoints_bad_rows(tmp_path):
    images(tmp_path, "a.png")
    short = write(tmp_path / "short.csv", "a.png,1,2,3,4\na.png,1,2\n")
    assert re.search(r"line 2: 3 columns, expected 5", error(read_keypoints_csv, short))
    infinite = write(tmp_path / "inf.csv", "a.png,1,inf\n")
    assert "line 1" in error(read_keypoints_csv, infinite) and "'inf'" in error(read_keypoints_csv, infinite)
    no_path = write(tmp_path / "no_path.csv", "a.png,1,2\n,3,4\n")
    assert "line 2: the image path is empty" in error(read_keypoints_csv, no_path)
    header_only = write(tmp_path / "header.csv", "image,x,y\n")
    assert "no rows" in error(read_keypoints_csv, header_only)
    assert "no rows" in error(read_keypoints_csv, write(tmp_path / "empty.csv", "\n\n"))


def test_missing_images_listed_up_to_five_once_each(tmp_path):
    images(tmp_path, "here.png")
    rows = "".join(f"gone{index}.png,1,2\ngone{index}.png,3,4\n" for index in range(7))
    csv = write(tmp_path / "points.csv", "here.png,1,2\n" + rows)
    message = error(read_keypoints_csv, csv)
    assert "7 of 8 images do not exist" in message and "and 2 more" in message and "image_root" in message
    assert message.count("gone") == 5 and message.count("gone0.png") == 1
    assert f"{tmp_path / 'gone0.png'} (line 2)" in message and f"(line 4)" in message


# Boxes from a CSV file.

BOX_HEADER = "xmin,filename,class,width,height,ymin,xmax,ymax,notes\n"


def test_boxes_csv_groups_rows_per_image_in_first_appearance_order(tmp_path):
    images(tmp_path / "images", "b.png", "a.png", "empty.png")
    csv = write(tmp_path / "labels.csv", BOX_HEADER +
                "10,images/b.png,dog,40,30,5,20,25,x\n"
                "0,images/a.png,cat,40,30,0,40,30,\n"
                ",images/empty.png,,40,30,,,,\n"
                "1.5,images/b.png,cat,40,30,2,3.5,4,\n")
    data = read_boxes_csv(csv)
    assert data.kind == "boxes"
    assert data.paths == [str(tmp_path / "images" / name) for name in ("b.png", "a.png", "empty.png")]
    assert data.labels == [["dog", "cat"], ["cat"], []]
    assert data.class_names == ["cat", "dog"]
    assert [boxes.dtype for boxes in data.boxes] == [np.float32] * 3
    np.testing.assert_array_equal(data.boxes[0], [[10, 5, 20, 25], [1.5, 2, 3.5, 4]])
    np.testing.assert_array_equal(data.boxes[1], [[0, 0, 40, 30]])
    assert data.boxes[2].shape == (0, 4)
    np.testing.assert_array_equal(data.image_sizes, [[40, 30]] * 3)
    assert data.image_sizes.dtype == np.int64 and data.difficult is None
    assert [indices.tolist() for indices in data.class_indices()] == [[1, 0], [0], []]
    assert repr(data) == "Annotations(3 images, 3 boxes of 2 classes (cat, dog))"


def test_boxes_csv_image_root_and_same_image_spelt_two_ways(tmp_path):
    images(tmp_path / "pictures", "a.png")
    csv = write(tmp_path / "labels" / "boxes.csv", "filename,width,height,class,xmin,ymin,xmax,ymax\n"
                                                   "a.png,40,30,cat,1,2,3,4\n./a.png,40,30,dog,5,6,7,8\n")
    data = read_boxes_csv(csv, image_root=tmp_path / "pictures")
    assert data.paths == [str(tmp_path / "pictures" / "a.png")] and data.labels == [["cat", "dog"]]


def test_boxes_outside_the_image_are_clipped_with_one_warning(tmp_path):
    images(tmp_path, "a.png", "b.png")
    csv = write(tmp_path / "labels.csv", "filename,width,height,class,xmin,ymin,xmax,ymax\n"
                                         "a.png,40,30,cat,-5,2,10,12\n"
                                         "a.png,40,30,cat,1,2,3,4\n"
                                         "b.png,40,30,dog,30,20,45,31\n")
    with pytest.warns(AnnotationWarning) as caught:
        data = read_boxes_csv(csv)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "clipped 2 boxes" in message and "line 2 (-5, 2, 10, 12 in 40 x 30)" in message
    assert "line 4 (30, 20, 45, 31 in 40 x 30)" in message and "line 3" not in message
    assert caught[0].filename == __file__  # points at the caller
    np.testing.assert_array_equal(data.boxes[0], [[0, 2, 10, 12], [1, 2, 3, 4]])
    np.testing.assert_array_equal(data.boxes[1], [[30, 20, 40, 30]])


def test_boxes_inside_the_image_give_no_warning(tmp_path):
    images(tmp_path, "a.png")
    csv = write(tmp_path / "labels.csv", "filename,width,height,class,xmin,ymin,xmax,ymax\na.png,40,30,cat,0,0,40,30\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_boxes_csv(csv)


@pytest.mark.parametrize("row, words", [
    ("a.png,40,30,cat,20,2,10,12", ["line 2", "xmax < xmin", "(20, 2, 10, 12)"]),
    ("a.png,40,30,cat,1,12,10,2", ["line 2", "ymax < ymin"]),
    ("a.png,40,30,cat,1,two,10,12", ["line 2", "ymin must be a finite number", "'two'"]),
    ("a.png,40,30,cat,1,,10,12", ["line 2", "ymin", "an empty cell"]),
    ("a.png,forty,30,cat,1,2,10,12", ["line 2", "width", "'forty'"]),
    ("a.png,0,30,cat,1,2,10,12", ["line 2", "width", "positive"]),
    ("a.png,40,30,,1,2,10,12", ["line 2", "a box without a class"]),
    ("a.png,40,30,cat,,,,", ["line 2", "'cat' without a box"]),
    ("a.png,40,30,cat", ["line 2", "4 columns", "header has 8"]),
    ("a.png,40,30,cat,1,2,3,4\na.png,41,30,cat,1,2,3,4", ["line 3", "41 x 30", "40 x 30 on line 2"]),
])
def test_boxes_csv_malformed_rows(tmp_path, row, words):
    images(tmp_path, "a.png")
    csv = write(tmp_path / "labels.csv", "filename,width,height,class,xmin,ymin,xmax,ymax\n" + row + "\n")
    message = error(read_boxes_csv, csv)
    assert message.startswith(str(csv))
    for word in words:
        assert word in message


def test_boxes_csv_missing_column_and_missing_header(tmp_path):
    csv = write(tmp_path / "labels.csv", "filename,width,height,class,xmin,ymin,x_max,ymax\na.png,1,1,a,0,0,1,1\n")
    message = error(read_boxes_csv, csv)
    assert f"{csv}, line 1" in message and "lacks the column xmax" in message and "Did you mean 'x_max'?" in message
    assert "received filename, width, height, class, xmin, ymin, x_max, ymax" in message
    headless = write(tmp_path / "headless.csv", "a.png,40,30,cat,1,2,3,4\n")
    assert "has no header row" in error(read_boxes_csv, headless)


def test_boxes_csv_missing_images(tmp_path):
    csv = write(tmp_path / "labels.csv", "filename,width,height,class,xmin,ymin,xmax,ymax\n"
                                         "a.png,40,30,cat,1,2,3,4\na.png,40,30,dog,1,2,3,4\nb.png,40,30,,,,,\n")
    message = error(read_boxes_csv, csv)
    assert "2 of 2 images do not exist" in message and message.count("a.png") == 1
    assert f"{tmp_path / 'b.png'} (line 4)" in message


# Pascal VOC.

def voc_xml(filename, objects, size=(40, 30)):
    """A VOC annotation: objects are (name, (xmin, ymin, xmax, ymax), difficult)."""
    size_xml = "" if size is None else (f"<size><width>{size[0]}</width><height>{size[1]}</height>"
                                        f"<depth>3</depth></size>")
    parts = "".join(f"<object><name>{name}</name><pose>Left</pose><truncated>0</truncated>"
                    f"<difficult>{int(difficult)}</difficult><bndbox><xmin>{box[0]}</xmin><ymin>{box[1]}</ymin>"
                    f"<xmax>{box[2]}</xmax><ymax>{box[3]}</ymax></bndbox>"
                    f"<part><name>head</name><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>1</xmax><ymax>1</ymax>"
                    f"</bndbox></part></object>" for name, box, difficult in objects)
    return (f"<annotation><folder>VOC2012</folder><filename>{filename}</filename><path>/elsewhere/{filename}</path>"
            f"{size_xml}<segmented>0</segmented>{parts}</annotation>")


@pytest.fixture
def voc(tmp_path):
    """VOCdevkit/VOC2012 with Annotations/ (2 XML files, a text file) and JPEGImages/."""
    root = tmp_path / "VOCdevkit" / "VOC2012"
    images(root / "JPEGImages", "2008_000002.png", "2008_000001.png")
    write(root / "Annotations" / "2008_000002.xml",
          voc_xml("2008_000002.png", [("person", (1, 1, 40, 30), False)]))
    write(root / "Annotations" / "2008_000001.xml",
          voc_xml("2008_000001.png", [("dog", (5, 6, 20, 25), False), ("person", (2.5, 3, 10, 12), True),
                                      ("dog", (7, 7, 7, 7), False)]))
    write(root / "Annotations" / "readme.txt", "not an annotation")
    return root


def test_voc_several_objects_difficult_flag_and_jpegimages_sibling(voc):
    data = read_voc(voc / "Annotations")
    assert data.kind == "boxes"
    assert data.paths == [str(voc / "JPEGImages" / "2008_000001.png"), str(voc / "JPEGImages" / "2008_000002.png")]
    assert data.labels == [["dog", "person", "dog"], ["person"]]
    assert data.class_names == ["dog", "person"]
    np.testing.assert_array_equal(data.boxes[0], [[5, 6, 20, 25], [2.5, 3, 10, 12], [7, 7, 7, 7]])
    np.testing.assert_array_equal(data.boxes[1], [[1, 1, 40, 30]])  # VOC's 1-based numbers, kept as written
    assert data.boxes[0].dtype == np.float32
    assert [flags.tolist() for flags in data.difficult] == [[False, True, False], [False]]
    np.testing.assert_array_equal(data.image_sizes, [[40, 30], [40, 30]])


def test_voc_image_folder_single_file_and_no_object(tmp_path):
    images(tmp_path / "pictures", "a.png", size=(50, 20))
    write(tmp_path / "xml" / "a.xml", voc_xml("a.png", [], size=None))  # no <size>: Pillow measures the image
    data = read_voc(tmp_path / "xml", image_folder=tmp_path / "pictures")
    assert data.paths == [str(tmp_path / "pictures" / "a.png")] and data.labels == [[]] and data.class_names == []
    assert data.boxes[0].shape == (0, 4) and data.difficult[0].shape == (0,)
    np.testing.assert_array_equal(data.image_sizes, [[50, 20]])
    images(tmp_path / "xml", "a.png", size=(9, 8))  # no JPEGImages sibling: beside the XML files
    one = read_voc(tmp_path / "xml" / "a.xml")
    assert one.paths == [str(tmp_path / "xml" / "a.png")] and one.image_sizes.tolist() == [[9, 8]]


def test_voc_boxes_outside_the_image_are_clipped_with_one_warning(voc):
    write(voc / "Annotations" / "2008_000002.xml",
          voc_xml("2008_000002.png", [("person", (0, -2, 41, 30), False), ("dog", (39, 29, 60, 70), False)]))
    with pytest.warns(AnnotationWarning) as caught:
        data = read_voc(voc / "Annotations")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "clipped 2 boxes" in message and "2008_000002.xml object 1 (0, -2, 41, 30 in 40 x 30)" in message
    assert "2008_000002.xml object 2" in message
    np.testing.assert_array_equal(data.boxes[1], [[0, 0, 40, 30], [39, 29, 40, 30]])


@pytest.mark.parametrize("text, words", [
    ("<annotation><filename>a.png</filename><object></annotation>", ["malformed XML", "line 1"]),
    ("<annotations><filename>a.png</filename></annotations>", ["<annotations>", "expected <annotation>"]),
    ("<annotation><size><width>40</width><height>30</height></size></annotation>", ["no <filename>"]),
    (voc_xml("a.png", [("dog", (20, 2, 10, 12), False)]), ["<object> 1 (dog)", "xmax < xmin"]),
    (voc_xml("a.png", [("dog", (1, 2, "ten", 12), False)]), ["<object> 1 (dog)", "<xmax>", "'ten'"]),
    (voc_xml("a.png", [("dog", (1, 2, 3, 4), False)]).replace("<difficult>0", "<difficult>yes"),
     ["<difficult> must be 0 or 1", "'yes'"]),
    ("<annotation><filename>a.png</filename><object><name>dog</name></object></annotation>",
     ["<object> 1 (dog) has no <bndbox>"]),
    ("<annotation><filename>a.png</filename><object><bndbox/></object></annotation>", ["<object> 1 has no <name>"]),
    (voc_xml("a.png", [], size=("forty", 30)), ["<size>", "width", "'forty'"]),
])
def test_voc_malformed_files_name_the_xml_file(tmp_path, text, words):
    images(tmp_path, "a.png")
    xml = write(tmp_path / "a.xml", text)
    message = error(read_voc, tmp_path)
    assert message.startswith(str(xml))
    for word in words:
        assert word in message


def test_voc_missing_images_folder_and_empty_folder(voc, tmp_path):
    os.remove(voc / "JPEGImages" / "2008_000001.png")
    message = error(read_voc, voc / "Annotations")
    assert "1 of 2 images do not exist" in message and "(2008_000001.xml)" in message and "image_folder" in message
    (tmp_path / "nothing").mkdir()
    assert "holds no .xml files" in error(read_voc, tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        read_voc(tmp_path / "absent")


# Regression targets.

def test_regression_by_name_index_and_several_targets(tmp_path):
    images(tmp_path / "IMG", "center_1.png", "center_2.png")
    csv = write(tmp_path / "driving_log.csv", "center,left,steering,throttle\n"
                                              "IMG/center_1.png,IMG/left_1.png,-0.25,0.5\n"
                                              "IMG/center_2.png,IMG/left_2.png,0.125,1\n")
    data = read_regression_csv(csv, "steering", path_column="center")
    assert data.kind == "values" and data.value_names == ["steering"]
    assert data.paths == [str(tmp_path / "IMG" / "center_1.png"), str(tmp_path / "IMG" / "center_2.png")]
    assert data.values.dtype == np.float32
    np.testing.assert_array_equal(data.values, [-0.25, 0.125])
    by_index = read_regression_csv(csv, 2)  # the header is found: 'steering' is not a number
    np.testing.assert_array_equal(by_index.values, [-0.25, 0.125])
    assert by_index.paths == data.paths  # the first column holding an image file name
    several = read_regression_csv(csv, ["steering", "3"])
    assert several.values.shape == (2, 2) and several.value_names == ["steering", "throttle"]
    np.testing.assert_array_equal(several.values, [[-0.25, 0.5], [0.125, 1]])
    assert repr(several) == "Annotations(2 images, targets steering, throttle)"


def test_regression_without_header_and_usual_path_names(tmp_path):
    images(tmp_path, "a.png", "b.png")
    data = read_regression_csv(write(tmp_path / "ages.csv", "31,a.png\n7.5,b.png\n"), 0)
    assert data.value_names == ["column 0"] and data.paths == [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    np.testing.assert_array_equal(data.values, [31, 7.5])
    named = read_regression_csv(write(tmp_path / "named.tsv", "age\timage\n31\ta.png\n"), "age")
    assert named.paths == [str(tmp_path / "a.png")] and named.values.tolist() == [31]


def test_regression_errors(tmp_path):
    images(tmp_path, "a.png")
    csv = write(tmp_path / "log.csv", "image,steering\na.png,0.1\na.png,left\n")
    message = error(read_regression_csv, csv, "steering")
    assert f"{csv}, line 3" in message and "'steering'" in message and "'left'" in message
    message = error(read_regression_csv, csv, "steer")
    assert "no target column 'steer'" in message and "Did you mean 'steering'?" in message
    assert "image, steering" in message
    assert "no target column 5" in error(read_regression_csv, csv, 5, header=True)
    assert re.search(r"line 1: 2 columns, but 6 are needed", error(read_regression_csv, csv, 5))
    assert "both the image path and a target" in error(read_regression_csv, csv, 1, path_column=1)
    assert "without a header" in error(read_regression_csv, csv, "steering", header=False)
    short = write(tmp_path / "short.csv", "a.png,1,2\na.png\n")
    assert re.search(r"line 2: 1 column, but 3 are needed.*target 2\)", error(read_regression_csv, short, 2))
    assert "'nan'" in error(read_regression_csv, write(tmp_path / "nan.csv", "a.png,nan\n"), 1)
    missing = write(tmp_path / "missing.csv", "image,angle\ngone.png,0.5\n")
    assert "1 of 1 images do not exist" in error(read_regression_csv, missing, "angle")
    with pytest.raises(TypeError):
        read_regression_csv(csv, 1.5)


def test_annotations_class_indices_needs_boxes():
    points = Annotations(["a.png"], points=np.zeros((1, 1, 2), np.float32), point_names=["nose"])
    with pytest.raises(ValueError, match="hold points, not boxes"):
        points.class_indices()
