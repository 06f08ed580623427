"""Localization metrics against their oracles: pycocotools' COCOeval for mAP, torchvision.ops for IoU and NMS,
and hand-computed values for keypoints and angles."""
import contextlib
import io
import math
import pathlib
import re

import numpy as np
import pytest
import torch
import torchvision
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from lamina.vision.localization_metrics import (angle_mae, box_iou, keypoint_rmse, mean_average_precision,
                                                non_max_suppression, pck)

CATEGORIES = [1, 2, 3, 4, 5]  # 5 only ever appears in predictions: COCO gives it -1 and leaves it out


def random_boxes(rng, count, grid=4):
    """(count, 4) boxes on a 1/grid pixel grid, so that x + width is exact in both conventions."""
    corners = rng.integers(0, 120 * grid, size=(count, 2)) / grid
    sizes = rng.integers(2 * grid, 60 * grid, size=(count, 2)) / grid
    return np.concatenate([corners, corners + sizes], axis=1)


def random_detections(seed, images=20, tied_scores=False):
    """targets and predictions: jittered copies of the true boxes (some twice), random boxes, random scores."""
    rng = np.random.default_rng(seed)
    targets, predictions = [], []
    for _ in range(images):
        count = int(rng.integers(0, 7))
        true_boxes = random_boxes(rng, count)
        true_labels = rng.choice([1, 2, 3, 4], size=count, p=[0.4, 0.3, 0.2, 0.1])
        boxes, labels = [], []
        for box, label in zip(true_boxes, true_labels):
            for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):
                size = np.tile(box[2:] - box[:2], 2)
                jittered = box + np.round(rng.uniform(-0.25, 0.25, 4) * size * 4) / 4
                jittered[2:] = np.maximum(jittered[2:], jittered[:2])
                boxes.append(jittered)
                labels.append(label if rng.random() < 0.9 else int(rng.integers(1, 6)))
        extra = int(rng.integers(0, 5))
        boxes.extend(random_boxes(rng, extra))
        labels.extend(rng.integers(1, 6, size=extra).tolist())
        scores = rng.random(len(boxes))
        scores = np.round(scores, 1) if tied_scores else scores
        targets.append({"boxes": true_boxes, "labels": true_labels})
        predictions.append({"boxes": np.array(boxes).reshape(-1, 4), "scores": scores, "labels": np.array(labels)})
    return predictions, targets


def coco_evaluation(predictions, targets, iou_thresholds):
    """pycocotools' COCOeval (bbox) of the same boxes, built in memory; ids start at 1 as COCO needs."""
    def xywh(box):
        return [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])]

    annotations = []
    for image, target in enumerate(targets):
        for box, label in zip(target["boxes"], target["labels"]):
            annotations.append({"id": len(annotations) + 1, "image_id": image + 1, "category_id": int(label),
                                "bbox": xywh(box), "area": xywh(box)[2] * xywh(box)[3], "iscrowd": 0})
    detections = [{"image_id": image + 1, "category_id": int(label), "bbox": xywh(box), "score": float(score)}
                  for image, prediction in enumerate(predictions)
                  for box, score, label in zip(prediction["boxes"], prediction["scores"], prediction["labels"])]
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = {"images": [{"id": image + 1} for image in range(len(targets))],
                         "categories": [{"id": category} for category in CATEGORIES], "annotations": annotations}
        truth.createIndex()
        evaluation = COCOeval(truth, truth.loadRes(detections), "bbox")
        if iou_thresholds != "coco":
            evaluation.params.iouThrs = np.array([iou_thresholds], dtype=np.float64).reshape(-1)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation


def coco_per_class(evaluation):
    """{category: AP over thresholds} from COCOeval's precision (area 'all', 100 detections), -1 dropped."""
    precision = evaluation.eval["precision"][:, :, :, 0, -1]
    return {category: float(precision[:, :, k].mean()) for k, category in enumerate(evaluation.params.catIds)
            if (precision[:, :, k] > -1).any()}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("iou_thresholds", [0.5, "coco", (0.3, 0.75)])
def test_map_equals_pycocotools(seed, iou_thresholds):
    predictions, targets = random_detections(seed, tied_scores=seed == 3)
    evaluation = coco_evaluation(predictions, targets, iou_thresholds)
    result = mean_average_precision(predictions, targets, iou_thresholds=iou_thresholds)
    assert 0.05 < result["map"] < 0.95  # neither trivial nor hopeless
    assert result["map"] == pytest.approx(evaluation.stats[0], abs=1e-9)
    assert result.get("map_50", -1.0) == pytest.approx(evaluation.stats[1], abs=1e-9)
    assert result.get("map_75", -1.0) == pytest.approx(evaluation.stats[2], abs=1e-9)
    expected = coco_per_class(evaluation)
    assert list(result["per_class"]) == list(expected) and 5 not in expected
    assert list(result["per_class"].values()) == pytest.approx(list(expected.values()), abs=1e-9)


def test_map_breaks_ties_and_meets_thresholds_as_pycocotools():
    # The first detection overlaps both true boxes by IoU 1/3: COCO matches the last, so the second detection,
    # a copy of that box, is a false positive. The third overlaps its true box by exactly 0.5: a match at 0.5.
    targets = [{"boxes": np.array([[0, 0, 10, 10], [10, 0, 20, 10.]]), "labels": np.array([1, 1])},
               {"boxes": np.array([[0, 0, 10, 10.]]), "labels": np.array([2])}]
    predictions = [{"boxes": np.array([[5, 0, 15, 10], [10, 0, 20, 10.]]), "scores": np.array([0.9, 0.8]),
                    "labels": np.array([1, 1])},
                   {"boxes": np.array([[0, 0, 10, 5.]]), "scores": np.array([0.7]), "labels": np.array([2])}]
    # at 0.3 class 1 has precision 1 up to recall 0.5 (51 of the 101 levels); at 0.5 precision 0.5 up to 0.5
    expected = {0.3: {1: 51 / 101, 2: 1.0}, 0.5: {1: 0.5 * 51 / 101, 2: 1.0}, (0.3, 0.5): {1: 0.75 * 51 / 101, 2: 1.0}}
    for iou_thresholds, per_class in expected.items():
        result = mean_average_precision(predictions, targets, iou_thresholds=iou_thresholds)
        assert result["per_class"] == pytest.approx(per_class, abs=1e-12)
        coco_map = coco_evaluation(predictions, targets, iou_thresholds).stats[0]
        assert result["map"] == pytest.approx(coco_map, abs=1e-12)


def test_map_accepts_tensors_and_equals_pycocotools_past_100_detections():
    rng = np.random.default_rng(7)
    targets = [{"boxes": random_boxes(rng, 20), "labels": np.ones(20, dtype=np.int64)} for _ in range(2)]
    predictions = []
    for target in targets:  # 130 detections of class 1 per image: only the best 100 count
        boxes = np.concatenate([target["boxes"], random_boxes(rng, 110)])
        predictions.append({"boxes": torch.tensor(boxes), "scores": torch.rand(130, dtype=torch.float64),
                            "labels": torch.ones(130, dtype=torch.int64)})
    result = mean_average_precision(predictions, targets, iou_thresholds="coco")
    as_numpy = [{key: value.numpy() for key, value in prediction.items()} for prediction in predictions]
    evaluation = coco_evaluation(as_numpy, targets, "coco")
    assert result["map"] == pytest.approx(evaluation.stats[0], abs=1e-9)
    assert result["map"] != mean_average_precision(predictions, targets, "coco", max_detections=130)["map"]


def test_map_of_perfect_and_of_no_predictions():
    _, targets = random_detections(5)
    perfect = [{"boxes": target["boxes"], "scores": np.linspace(1, 0.5, len(target["labels"])),
                "labels": target["labels"]} for target in targets]
    result = mean_average_precision(perfect, targets, iou_thresholds="coco")
    assert result["map"] == result["map_50"] == result["map_75"] == 1.0
    assert set(result["per_class"].values()) == {1.0}
    empty = [{"boxes": np.zeros((0, 4)), "scores": [], "labels": []} for _ in targets]
    result = mean_average_precision(empty, targets, iou_thresholds=0.5)
    assert result["map"] == result["map_50"] == 0.0 and "map_75" not in result
    nothing = mean_average_precision(empty[:1], [{"boxes": [], "labels": []}])
    assert math.isnan(nothing["map"]) and nothing["per_class"] == {}


def test_map_errors_name_the_problem():
    predictions, targets = random_detections(0, images=3)
    with pytest.raises(ValueError, match=r"Did you mean 'coco'\?"):
        mean_average_precision(predictions, targets, iou_thresholds="coc")
    with pytest.raises(ValueError, match="numbers in \\[0, 1\\]"):
        mean_average_precision(predictions, targets, iou_thresholds=(0.5, 1.5))
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        mean_average_precision(predictions, targets[:2])
    with pytest.raises(TypeError, match="one dict per image"):
        mean_average_precision(predictions[0], targets[0])
    with pytest.raises(ValueError, match=r"predictions\[1\] must be a dict with keys \['boxes', 'scores', 'labels'\]"):
        mean_average_precision([predictions[0], {"boxes": [], "labels": []}, predictions[2]], targets)
    broken = dict(predictions[0], scores=np.zeros(len(predictions[0]["labels"]) + 1))
    with pytest.raises(ValueError, match=r'predictions\[0\]\["scores"\]` must have one value per box'):
        mean_average_precision([broken] + predictions[1:], targets)


def test_box_iou_equals_torchvision():
    rng = np.random.default_rng(0)
    first, second = random_boxes(rng, 30, grid=1000), random_boxes(rng, 20, grid=1000)
    expected = torchvision.ops.box_iou(torch.from_numpy(first), torch.from_numpy(second)).numpy()
    overlaps = box_iou(first, second)
    assert isinstance(overlaps, np.ndarray) and np.array_equal(overlaps, expected)
    as_tensor = torch.from_numpy(first).float()
    assert torch.equal(box_iou(as_tensor, as_tensor), torchvision.ops.box_iou(as_tensor, as_tensor))
    assert box_iou([[0, 0, 10, 10]], [[5, 0, 15, 10]]).tolist() == [[1 / 3]]


def test_box_iou_errors():
    with pytest.raises(ValueError, match=r"`boxes1` must be numeric boxes \(N, 4\).*shape \(2, 5\)"):
        box_iou(np.zeros((2, 5)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"`boxes2` row 0 .*box_convert\(boxes, 'xywh', 'xyxy'\)"):
        box_iou([[0, 0, 10, 10]], [[20, 20, 5, 5]])


@pytest.mark.parametrize("seed", [0, 1])
def test_non_max_suppression_equals_torchvision(seed):
    rng = np.random.default_rng(seed)
    boxes, scores = random_boxes(rng, 300, grid=1000), rng.random(300)
    labels = rng.integers(0, 4, 300)
    tensors = torch.from_numpy(boxes), torch.from_numpy(scores)
    expected = torchvision.ops.nms(*tensors, 0.4).numpy()
    keep = non_max_suppression(boxes, scores, iou_threshold=0.4)
    assert isinstance(keep, np.ndarray) and np.array_equal(keep, expected) and 30 < len(keep) < 300
    assert np.all(np.diff(scores[keep]) <= 0)
    expected = torchvision.ops.batched_nms(*tensors, torch.from_numpy(labels), 0.5)
    assert torch.equal(non_max_suppression(*tensors, torch.from_numpy(labels), 0.5), expected)
    names = np.array(["cat", "dog", "car", "bus"])[labels]
    assert np.array_equal(non_max_suppression(boxes, scores, names, 0.5, max_detections=10), expected[:10].numpy())


def test_non_max_suppression_errors():
    with pytest.raises(ValueError, match=r"`scores` must have one value per box, shape \(3,\), received shape \(2,\)"):
        non_max_suppression(np.zeros((3, 4)), [0.1, 0.2])
    with pytest.raises(ValueError, match="`iou_threshold` must be a number in \\[0, 1\\]"):
        non_max_suppression(np.zeros((3, 4)), [0.1, 0.2, 0.3], iou_threshold=5)
    with pytest.raises(ValueError, match="`max_detections` must be a positive integer"):
        non_max_suppression(np.zeros((3, 4)), [0.1, 0.2, 0.3], max_detections=0)


NAN = float("nan")
PREDICTED = [[[0, 0.5], [10, 2], [7, 7]], [[1, 1], [0, 23], [20, 22]]]
TRUE = [[[0, 0], [10, 0], [NAN, NAN]], [[0, 0], [0, 20], [20, 20]]]  # distances 0.5, 2, -, sqrt(2), 3, 2


def test_keypoint_rmse_by_hand():
    assert keypoint_rmse(PREDICTED, TRUE) == pytest.approx(math.sqrt((0.25 + 4 + 2 + 9 + 4) / 5), rel=1e-15)
    mask = np.array([[True, True, True], [True, False, True]])
    assert keypoint_rmse(torch.tensor(PREDICTED), torch.tensor(TRUE), mask) == pytest.approx(
        math.sqrt((0.25 + 4 + 2 + 4) / 4), rel=1e-15)
    assert keypoint_rmse([[[3, 4]]], [[[0, 0]]]) == 5.0


def test_pck_by_hand():
    # default references: 10 (box 10 x 0) and 20 (box 20 x 20), so thresholds 1 and 2 at alpha 0.1
    assert pck(PREDICTED, TRUE) == pytest.approx(3 / 5)
    assert pck(PREDICTED, TRUE, alpha=0.1, reference=10) == pytest.approx(1 / 5)
    assert pck(PREDICTED, TRUE, alpha=0.1, reference=np.array([40.0, 10.0])) == pytest.approx(2 / 5)
    assert pck(PREDICTED, TRUE, mask=np.array([[False] * 3, [True] * 3])) == pytest.approx(2 / 3)


def test_angle_mae_wraps():
    assert angle_mae([359.0], [1.0]) == pytest.approx(2.0)
    assert angle_mae([-179.0, 10.0, 180.0], [179.0, 20.0, 0.0]) == pytest.approx((2 + 10 + 180) / 3)
    radians = torch.tensor([2 * math.pi - 0.01], dtype=torch.float64)
    assert angle_mae(radians, [0.01], degrees=False) == pytest.approx(0.02)


def test_keypoint_and_angle_errors():
    with pytest.raises(ValueError, match=r"`predicted` must be \(samples, keypoints, 2\).*\(2, 3, 3\).*points\[None\]"):
        keypoint_rmse(np.zeros((2, 3, 3)), np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"`predicted` has shape \(1, 3, 2\) but `true` has shape \(2, 3, 2\)"):
        pck(np.zeros((1, 3, 2)), TRUE)
    with pytest.raises(TypeError, match="`mask` must be bool.*visibility > 0"):
        keypoint_rmse(PREDICTED, TRUE, mask=np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"`mask` must have shape \(2, 3\)"):
        keypoint_rmse(PREDICTED, TRUE, mask=np.ones((3, 2), dtype=bool))
    with pytest.raises(ValueError, match="no visible keypoints"):
        keypoint_rmse(PREDICTED, TRUE, mask=np.zeros((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="sample 0's visible true points have a bounding box of size 0"):
        pck([[[1, 1], [2, 2]]], [[[0, 0], [NAN, NAN]]])
    with pytest.raises(ValueError, match=r"`reference` must be a number or one per sample, shape \(2,\)"):
        pck(PREDICTED, TRUE, reference=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="`alpha` must be a positive number"):
        pck(PREDICTED, TRUE, alpha=0)
    with pytest.raises(ValueError, match=r"`predicted` has shape \(2,\) but `true` has shape \(3,\)"):
        angle_mae([1.0, 2.0], [1.0, 2.0, 3.0])


def test_library_code_imports_no_test_oracle():
    import lamina.vision.localization_metrics as module
    source = pathlib.Path(module.__file__).read_text()
    assert not re.search(r"^\s*(import|from)\s+(pycocotools|torchmetrics)", source, flags=re.MULTILINE)
