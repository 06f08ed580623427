"""lamina.vision.data and .loading: sources, the seeded stratified split, skipping unreadable files, batches.

Oracles: torchvision.transforms.v2 Resize + CenterCrop (equal on the PIL image, within 1 grey level on the uint8
tensor), Pillow's own decoding and EXIF transposition, and the split rule written out in the test.
"""
import csv
import hashlib
import io
import os
import re
import shutil
import warnings

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageOps
from torchvision.transforms import v2

from lamina import config
from lamina.vision.data import UnreadableImagesWarning, image_dataset, image_list, validation_mask
from lamina.vision.loading import ImageBatches, ImageTransform, UnreadableImageError

CLASSES = {"cats": 10, "dogs": 9, "owls": 7}


def draw(path, size, seed):
    """A PIL drawing of `size` (width, height): a coloured background, an ellipse and a bar."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, tuple(int(v) for v in rng.integers(0, 256, 3)))
    canvas = ImageDraw.Draw(image)
    width, height = size
    canvas.ellipse([width // 5, height // 4, width * 3 // 4, height * 4 // 5], fill=tuple(rng.integers(0, 256, 3)))
    canvas.rectangle([0, height // 2, width // 3, height // 2 + 3], fill=tuple(rng.integers(0, 256, 3)))
    image.save(path)


def make_classes(root, classes=CLASSES, seed=0):
    """root/<class>/<index>.jpg|png of several sizes, portrait and landscape; returns the relative paths."""
    files = []
    for class_index, (name, count) in enumerate(classes.items()):
        (root / name).mkdir(parents=True)
        for index in range(count):
            relative = f"{name}/{index:02d}.{'jpg' if index % 2 else 'png'}"
            draw(root / relative, (30 + 7 * index, 52 - 3 * index + class_index), seed + 100 * class_index + index)
            files.append(relative)
    return files


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A class-per-folder set with a nested folder, a hidden file and a notes file (both ignored)."""
    root = tmp_path_factory.mktemp("data") / "photos"
    make_classes(root)
    (root / "dogs" / "puppies").mkdir()
    draw(root / "dogs" / "puppies" / "small.png", (24, 20), 99)
    draw(root / "cats" / ".hidden.png", (24, 20), 98)
    (root / "owls" / "notes.txt").write_text("not an image")
    return root


def relative_paths(files, root):
    return [os.path.relpath(path, root).replace(os.sep, "/") for path in files.paths]


def test_class_folders_give_sorted_names_labels_and_a_stratified_split(photos):
    data = image_dataset(photos, image_size=24)
    assert data.class_names == ["cats", "dogs", "owls"]
    train, validation = relative_paths(data.train, photos), relative_paths(data.validation, photos)
    assert not set(train) & set(validation)
    assert sorted(train + validation) == sorted(make_classes_list(photos))
    for files, names in ((data.train, train), (data.validation, validation)):
        assert files.labels.dtype == np.int64
        assert [data.class_names[label] for label in files.labels] == [name.split("/")[0] for name in names]
    counts = {"cats": 10, "dogs": 10, "owls": 7}  # dogs/puppies/small.png counts for dogs
    for label, name in enumerate(data.class_names):
        assert np.sum(data.validation.labels == label) == int(0.2 * counts[name] + 0.5)
    assert repr(data) == "ImageDataset(3 classes (cats, dogs, owls), 22 training and 5 validation images)"


def make_classes_list(root):
    return [f"{name}/{index:02d}.{'jpg' if index % 2 else 'png'}" for name, count in CLASSES.items()
            for index in range(count)] + ["dogs/puppies/small.png"]


def test_the_split_is_the_documented_seeded_hash_rule(photos):
    for seed in (0, 7):
        data = image_dataset(photos, image_size=24, validation_split=0.3, seed=seed)
        expected = set()
        for name in data.class_names:
            members = [path for path in make_classes_list(photos) if path.startswith(name + "/")]
            ranked = sorted(members, key=lambda key: hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest())
            expected |= set(ranked[:int(0.3 * len(members) + 0.5)])
        assert set(relative_paths(data.validation, photos)) == expected
    again = image_dataset(photos, image_size=24, validation_split=0.3, seed=7)
    assert relative_paths(again.validation, photos) == relative_paths(data.validation, photos)
    other = image_dataset(photos, image_size=24, validation_split=0.3, seed=0)
    assert relative_paths(other.validation, photos) != relative_paths(data.validation, photos)
    assert len(image_dataset(photos, image_size=24, validation_split=0).validation) == 0


def test_adding_a_file_moves_at_most_one_other_between_the_parts():
    keys = [f"cats/{index}.jpg" for index in range(40)]
    assert validation_mask(keys[:5], np.zeros(5), 0.3, seed=0).sum() == 2  # 1.5 rounds up
    assert validation_mask(keys[:6], [0, 0, 0, 1, 1, 1], 0.3, seed=0).tolist().count(True) == 2  # 0.9 per class
    for count in range(5, 40):
        before = validation_mask(keys[:count], np.zeros(count), 0.25, seed=3)
        after = validation_mask(keys[:count + 1], np.zeros(count + 1), 0.25, seed=3)
        assert np.sum(before != after[:count]) <= 1


def test_batches_are_torchvisions_resize_and_center_crop(photos):
    pil_images = {}
    for size, resize in ((24, None), ((20, 28), 30)):
        data = image_dataset(photos, image_size=size, resize_size=resize, validation_split=0)
        height, width = (size, size) if isinstance(size, int) else size
        oracle = v2.Compose([v2.Resize(data.transform.resize_size), v2.CenterCrop([height, width])])
        images = torch.cat(list(images for images, _ in data.train.batches(batch_size=5)))
        assert images.dtype == torch.uint8 and images.shape == (len(data.train), 3, height, width)
        for image, path in zip(images, data.train.paths):
            pil_image = pil_images.setdefault(path, Image.open(path).convert("RGB"))
            assert torch.equal(image, v2.functional.pil_to_tensor(oracle(pil_image)))
            tensor = torch.from_numpy(np.array(pil_image)).permute(2, 0, 1).contiguous()
            assert (image.int() - oracle(tensor).int()).abs().max() <= 1


def test_large_jpegs_decode_at_a_reduced_scale_within_a_few_grey_levels(tmp_path):
    draw(tmp_path / "big.png", (640, 400), 5)
    Image.open(tmp_path / "big.png").resize((640, 400), Image.Resampling.BICUBIC).save(tmp_path / "big.jpg")
    exact = v2.Compose([v2.Resize(40), v2.CenterCrop(32), v2.PILToTensor()])(Image.open(tmp_path / "big.jpg"))
    assert torch.equal(ImageTransform(32, 40, jpeg_draft=False).load(tmp_path / "big.jpg"), exact)
    drafted = ImageTransform(32, 40).load(tmp_path / "big.jpg")
    difference = (drafted.int() - exact.int()).abs()
    assert 0 < difference.max() <= 4 and difference.float().mean() < 1


def test_photos_are_turned_upright_by_their_exif_orientation(tmp_path):
    draw(tmp_path / "drawing.png", (40, 24), 3)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.open(tmp_path / "drawing.png").save(tmp_path / "photo.jpg", exif=exif)
    upright = ImageOps.exif_transpose(Image.open(tmp_path / "photo.jpg"))
    assert upright.size == (24, 40)
    oracle = v2.Compose([v2.Resize(40), v2.CenterCrop([40, 24]), v2.PILToTensor()])
    assert torch.equal(ImageTransform((40, 24)).load(tmp_path / "photo.jpg"), oracle(upright.convert("RGB")))


def test_palette_grayscale_and_transparent_images_become_rgb(tmp_path):
    draw(tmp_path / "base.png", (20, 20), 4)
    base = Image.open(tmp_path / "base.png")
    base.convert("L").save(tmp_path / "gray.png")
    base.convert("P").save(tmp_path / "palette.gif", transparency=0)
    base.convert("P").save(tmp_path / "palette.png", transparency=bytes(8))  # Pillow warns if converted to RGB
    base.convert("RGBA").save(tmp_path / "alpha.png")
    files = image_list(tmp_path, image_size=20)
    images = torch.cat(list(files.batches(5)))
    assert images.shape == (5, 3, 20, 20)
    gray = torch.from_numpy(np.array(base.convert("L")))
    assert all(torch.equal(images[2][channel], gray) for channel in range(3))  # sorted: alpha, base, gray, ...


def test_given_train_and_val_folders_are_the_split(tmp_path):
    train = make_classes(tmp_path / "train", {"cats": 4, "dogs": 3})
    validation = make_classes(tmp_path / "val", {"dogs": 2}, seed=50)
    make_classes(tmp_path / "test", {"cats": 1})
    data = image_dataset(tmp_path, image_size=16, validation_split=0.5)
    assert data.class_names == ["cats", "dogs"]
    assert relative_paths(data.train, tmp_path) == ["train/" + name for name in train]
    assert relative_paths(data.validation, tmp_path) == ["val/" + name for name in validation]
    assert data.validation.labels.tolist() == [1, 1]
    (tmp_path / "val").rename(tmp_path / "validation")
    make_classes(tmp_path / "validation", {"zebras": 1})
    with pytest.raises(ValueError, match=r"has classes that '.*train' lacks: zebras\. Add training images"):
        image_dataset(tmp_path, image_size=16)
    only = image_dataset(tmp_path, image_size=16, class_names=["dogs"])
    assert only.class_names == ["dogs"] and len(only.train) == 3 and len(only.validation) == 2


def test_a_csv_file_of_paths_and_labels(tmp_path):
    make_classes(tmp_path / "images", {"a": 3, "b": 3})
    rows = [("images/a/00.png", "10"), ("images/a/01.jpg", "2"), ("images/b/00.png", "2"), ("images/b/01.jpg", "10"),
            ("images/a/02.png", "2"), ("images/b/02.png", "10")]
    with open(tmp_path / "labels.csv", "w", newline="") as file:
        csv.writer(file).writerows([("path", "label")] + rows)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd = os.getcwd()
    os.chdir(elsewhere)  # paths are relative to the CSV's folder, not the working directory
    try:
        data = image_dataset(tmp_path / "labels.csv", image_size=16, validation_split=0)
    finally:
        os.chdir(cwd)
    assert data.class_names == ["2", "10"]  # numeric labels in numeric order
    assert relative_paths(data.train, tmp_path) == [path for path, _ in rows]
    assert data.train.labels.tolist() == [1, 0, 0, 1, 0, 1]
    with open(tmp_path / "labels.tsv", "w") as file:
        file.write("".join(f"{path}\t{label}\n" for path, label in rows[:2]) + "images/b/00.png\n")
    with pytest.raises(ValueError, match=r"line 3 of '.*labels.tsv' has 1 column; each row is \(path, label\)"):
        image_dataset(tmp_path / "labels.tsv")


def test_unreadable_files_are_skipped_with_one_warning_listing_them(tmp_path):
    make_classes(tmp_path, {"cats": 4, "dogs": 4})
    (tmp_path / "cats" / "placeholder.gif").write_bytes(b"GIF89a placeholder")
    (tmp_path / "cats" / "notes.jpg").write_text("a text file named .jpg")
    noise = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)).save(noise, "JPEG")
    (tmp_path / "dogs" / "cut.jpg").write_bytes(noise.getvalue()[:len(noise.getvalue()) * 9 // 10])  # opens
    whole = (tmp_path / "dogs" / "00.png").read_bytes()
    (tmp_path / "dogs" / "cut.png").write_bytes(whole[:len(whole) - 30])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = image_dataset(tmp_path, image_size=16)
    assert len(caught) == 1 and caught[0].category is UnreadableImagesWarning
    assert caught[0].filename == __file__  # points at the caller
    assert re.fullmatch(
        re.escape(f"Skipped 4 files in {str(tmp_path)!r} that Pillow cannot read as images: cats/notes.jpg (not an "
                  f"image format Pillow reads), cats/placeholder.gif (not an image format Pillow reads), dogs/cut.jpg "
                  f"(image file is truncated (") + r"\d+" + re.escape(" bytes not processed)), dogs/cut.png (Truncated "
                                                                     "File Read). Remove or replace them."),
        str(caught[0].message))
    assert sorted(os.path.basename(path) for path, _ in data.skipped) == ["cut.jpg", "cut.png", "notes.jpg",
                                                                          "placeholder.gif"]
    assert len(data.train) + len(data.validation) == 8
    assert repr(data).endswith("6 training and 2 validation images, 4 unreadable files skipped)")


def test_an_unchecked_unreadable_file_raises_when_loaded(tmp_path):
    make_classes(tmp_path, {"cats": 2, "dogs": 2})
    (tmp_path / "dogs" / "notes.jpg").write_text("a text file")
    data = image_dataset(tmp_path, image_size=16, validation_split=0, check=False)
    with pytest.raises(UnreadableImageError, match=r"Cannot read the image file '.*notes\.jpg': not an image "
                                                   r"format Pillow reads\. Remove or replace it\."):
        list(data.train.batches(2))


def test_layout_errors_name_the_problem(tmp_path):
    make_classes(tmp_path / "photos", {"cats": 2, "dogs": 2})
    (tmp_path / "photos" / "zebras").mkdir()
    with pytest.raises(ValueError, match=r"the class folder '.*photos/zebras' holds no images \(accepted: \.png, "
                                         r"\.jpg.*\)\. Add images to it or remove it\."):
        image_dataset(tmp_path / "photos")
    (tmp_path / "photos" / "zebras" / "a.jpg").write_text("not an image")
    with pytest.warns(UnreadableImagesWarning, match="zebras/a.jpg"):
        with pytest.raises(ValueError, match=r"class 'zebras' of '.*photos' has no readable images \(all its 1 "
                                             r"files are unreadable\)"):
            image_dataset(tmp_path / "photos")
    shutil.rmtree(tmp_path / "photos" / "zebras")
    with pytest.raises(ValueError, match=r"class 'dgos' of `class_names` is not a subfolder of '.*photos'\. Did "
                                         r"you mean 'dogs'\? Subfolders: cats, dogs\."):
        image_dataset(tmp_path / "photos", class_names=["cats", "dgos"])
    flat = tmp_path / "flat"
    flat.mkdir()
    draw(flat / "one.png", (20, 20), 1)
    with pytest.raises(ValueError, match=r"'.*flat' has no class subfolders \(it holds 1 images directly\)\. "
                                         r"Expected one subfolder per class \(e\.g\. .*flat/cats/1\.jpg.*\), a folder "
                                         r"with train/ and val/ subfolders of that layout, or a CSV file of \(path, "
                                         r"label\) rows\. For unlabelled images use image_list"):
        image_dataset(flat)
    with pytest.raises(FileNotFoundError, match=r"no such file or folder: '.*missing'\. Pass one subfolder"):
        image_dataset(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"is neither a folder nor a \.csv file"):
        image_dataset(flat / "one.png")
    with pytest.raises(ValueError, match=r"`validation_split` must be in \[0, 1\), received 1\.0"):
        image_dataset(tmp_path / "photos", validation_split=1.0)


def test_shuffled_batches_are_seeded_cover_every_file_and_keep_labels(photos):
    data = image_dataset(photos, image_size=16, validation_split=0)
    reference = {bytes(data.transform.load(path).numpy()): label for path, label in zip(data.train.paths,
                                                                                          data.train.labels)}
    batches = data.train.batches(batch_size=4, shuffle=True, seed=3)
    assert len(batches) == 7

    def one_pass(batches):
        seen = []
        for images, labels in batches:
            for image, label in zip(images, labels.tolist()):
                assert reference[bytes(image.numpy())] == label
                seen.append(bytes(image.numpy()))
        return seen

    first, second = one_pass(batches), one_pass(batches)
    assert sorted(first) == sorted(second) == sorted(reference) and first != second
    again = data.train.batches(batch_size=4, shuffle=True, seed=3, workers=1)
    assert one_pass(again) == first and one_pass(again) == second


def test_dtype_data_format_and_threads_do_not_change_pixels(photos):
    files = image_dataset(photos, image_size=(12, 16), validation_split=0).train
    serial = torch.cat([images for images, _ in files.batches(batch_size=5, workers=1)])
    threaded = torch.cat([images for images, _ in files.batches(batch_size=5, workers=3)])
    assert torch.equal(serial, threaded)
    floats = torch.cat([images for images, _ in files.batches(batch_size=5, dtype=torch.float32)])
    assert floats.dtype == torch.float32 and torch.equal(floats, serial.float())
    config.set_image_data_format("channels_last")
    last = torch.cat([images for images, _ in files.batches(batch_size=5)])
    assert last.shape == (len(files), 12, 16, 3) and last.is_contiguous()
    assert torch.equal(last, serial.permute(0, 2, 3, 1))
    with pytest.raises(ValueError, match=r"`dtype` must be torch.uint8 or a floating dtype, received torch.int32"):
        files.batches(dtype=torch.int32)


def test_augmented_batches_differ_from_the_evaluation_transform_and_are_seeded(photos):
    files = image_dataset(photos, image_size=16, validation_split=0).train
    plain = torch.cat([images for images, _ in files.batches(batch_size=9)])
    assert torch.equal(torch.cat([images for images, _ in files.batches(batch_size=9, augment=False)]), plain)

    def augmented(seed):
        return torch.cat([images for images, _ in files.batches(batch_size=9, augment=True, seed=seed)])

    first = augmented(1)
    assert first.dtype == torch.uint8 and first.shape == plain.shape
    floats = torch.cat([images for images, _ in files.batches(batch_size=9, augment=True, seed=1, dtype=torch.float64)])
    assert torch.equal(first, floats.round().to(torch.uint8))
    assert (first != plain).flatten(1).any(1).all()  # every sample changed
    assert torch.equal(augmented(1), first) and not torch.equal(augmented(2), first)


def test_image_list_reads_a_folder_or_paths_without_labels(photos, tmp_path):
    files = image_list(photos, image_size=16)
    assert len(files) == 27 and files.labels is None and files.class_names is None
    batches = list(files.batches(batch_size=10))
    assert [tuple(images.shape) for images in batches] == [(10, 3, 16, 16), (10, 3, 16, 16), (7, 3, 16, 16)]
    chosen = files.paths[:3] + [str(tmp_path / "broken.png")]
    (tmp_path / "broken.png").write_bytes(b"\x89PNG broken")
    with pytest.warns(UnreadableImagesWarning, match=r"Skipped 1 files that Pillow cannot read as images: "
                                                     r".*broken\.png \(not an image format Pillow reads\)"):
        assert image_list(chosen, image_size=16).paths == files.paths[:3]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"image_list: '.*empty' holds no images \(accepted: \.png"):
        image_list(tmp_path / "empty")


def test_transform_arguments_and_config():
    transform = ImageTransform((20, 30), resize_size=34, interpolation="bicubic")
    assert ImageTransform(**transform.get_config()) == transform
    assert transform.get_config() == {"image_size": [20, 30], "resize_size": 34, "interpolation": "bicubic",
                                      "jpeg_draft": True}
    assert ImageTransform(24).resize_size == 24
    with pytest.raises(ValueError, match=r"`resize_size` \(20\) is smaller than the crop \(24, 24\)"):
        ImageTransform(24, resize_size=20)
    with pytest.raises(ValueError, match=r"invalid interpolation='bilinar'\. Did you mean 'bilinear'\?"):
        ImageTransform(24, interpolation="bilinar")
    with pytest.raises(ValueError, match=r"ImageBatches: received 2 labels for 3 paths; give one label per path"):
        ImageBatches(["a", "b", "c"], [0, 1], transform)
