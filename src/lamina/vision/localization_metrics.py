"""Metrics for localization: keypoint error and PCK, angle error, box IoU, non-max suppression and COCO mAP.

Boxes are (x_min, y_min, x_max, y_max) in pixels, keypoints (x, y) in pixels. IoU and suppression are
torchvision.ops' (box_iou, nms, batched_nms). `mean_average_precision` reproduces pycocotools' COCOeval for boxes
(area range 'all', at most 100 detections per image and class) number for number; the tests compare the two.
"""
import numbers

import numpy as np
import torch
import torchvision

from lamina.identifiers import nearest_suggestion
from lamina.layers.core import check_positive_int

COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)  # 0.50:0.05:0.95, built exactly as pycocotools builds it
RECALL_THRESHOLDS = np.linspace(0.0, 1.0, 101)  # COCO's 101-point interpolation


def keypoint_rmse(predicted, true, mask=None):
    """Root mean squared Euclidean distance, in pixels, between predicted and true keypoints that are visible.

    Args:
        predicted: (N, K, 2) keypoints (x, y), numpy or torch.
        true: (N, K, 2) keypoints; a point holding NaN is missing and left out.
        mask: optional (N, K) bool, True where a point counts (e.g. `visibility > 0`).

    Returns:
        A float: sqrt(mean over visible points of (dx**2 + dy**2)). NaN in `predicted` at a visible point gives NaN.

    Example:
        >>> keypoint_rmse([[[0, 0], [3, 4]]], [[[0, 0], [0, 0]]])   # distances 0 and 5
        3.5355339059327378
    """
    predicted, true, visible = _keypoints("keypoint_rmse", predicted, true, mask)
    squared = ((predicted - true) ** 2).sum(axis=-1)
    return float(np.sqrt(squared[visible].mean()))


def pck(predicted, true, alpha=0.1, reference=None, mask=None):
    """Percentage of correct keypoints: the fraction of visible points within alpha * reference pixels of the truth.

    A point is correct when its Euclidean distance to the true point is <= alpha * reference of its sample. By
    default the reference of a sample is max(height, width) of the bounding box of its visible true points, the
    bounding-box PCK of Yang & Ramanan (2013), whose usual alpha is 0.1. When you have the objects' own boxes,
    pass their larger sides as `reference` instead.

    Args:
        predicted: (N, K, 2) keypoints (x, y), numpy or torch.
        true: (N, K, 2) keypoints; a point holding NaN is missing and left out.
        alpha: the fraction of the reference a point may be off, > 0.
        reference: a length in pixels, one for all samples or (N,) one per sample (e.g. the image's larger side);
            None takes the larger side of the true points' bounding box.
        mask: optional (N, K) bool, True where a point counts.

    Returns:
        A float in [0, 1] (multiply by 100 for a percentage). A NaN prediction counts as wrong.

    Example:
        >>> pck([[[0, 0], [10, 1]]], [[[0, 0], [10, 10]]], alpha=0.1)   # reference 10: errors 0 and 9 vs 1
        0.5
    """
    predicted, true, visible = _keypoints("pck", predicted, true, mask)
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not alpha > 0:
        raise ValueError(f"pck: `alpha` must be a positive number (e.g. 0.1), received {alpha!r}.")
    counted = visible.any(axis=1)
    if reference is None:
        lows = np.where(visible[..., None], true, np.inf).min(axis=1)
        highs = np.where(visible[..., None], true, -np.inf).max(axis=1)
        reference = (highs - lows).max(axis=1)
        flat = np.flatnonzero(counted & ~(reference > 0))
        if len(flat):
            raise ValueError(f"pck: sample {flat[0]}'s visible true points have a bounding box of size 0 (one "
                             f"point, or all on a point), so the default reference is 0. Pass `reference`, e.g. "
                             f"the image's larger side or the object box's diagonal.")
    reference = _numpy(reference).astype(np.float64)
    if reference.ndim > 1 or (reference.ndim == 1 and reference.shape != (len(true),)):
        raise ValueError(f"pck: `reference` must be a number or one per sample, shape ({len(true)},), received "
                         f"shape {reference.shape}.")
    reference = np.broadcast_to(reference, (len(true),))
    if not (reference[counted] > 0).all() or not np.isfinite(reference[counted]).all():
        raise ValueError(f"pck: `reference` must be positive and finite, received {reference[counted]}.")
    distances = np.sqrt(((predicted - true) ** 2).sum(axis=-1))
    correct = distances <= alpha * reference[:, None]
    return float(correct[visible].mean())


def angle_mae(predicted, true, degrees=True):
    """Mean absolute difference of angles, each difference wrapped into [-180, 180) degrees (359 vs 1 is off by 2).

    Args:
        predicted: angles of any shape, numpy, torch or a list (e.g. steering angles).
        true: angles of the same shape.
        degrees: True for degrees, False for radians (differences wrapped into [-pi, pi)).

    Returns:
        A float, in the unit of the angles.

    Example:
        >>> angle_mae([359.0, 10.0], [1.0, 20.0])
        6.0
    """
    predicted, true = _float(predicted), _float(true)
    if predicted.shape != true.shape:
        raise ValueError(f"angle_mae: `predicted` has shape {predicted.shape} but `true` has shape {true.shape}; "
                         f"pass one predicted angle per true angle.")
    if predicted.size == 0:
        raise ValueError("angle_mae: received no angles; pass at least one.")
    half_turn = 180.0 if degrees else np.pi
    difference = np.mod(predicted - true + half_turn, 2 * half_turn) - half_turn
    return float(np.abs(difference).mean())


def box_iou(boxes1, boxes2):
    """Intersection over union of every box in boxes1 with every box in boxes2 (torchvision.ops.box_iou).

    Args:
        boxes1: (N, 4) boxes (x_min, y_min, x_max, y_max) in pixels, numpy or torch.
        boxes2: (M, 4) boxes.

    Returns:
        (N, M) IoU: a tensor when either argument is a tensor, else a numpy array. Two boxes of area 0 give NaN.

    Example:
        >>> box_iou([[0, 0, 10, 10]], [[5, 0, 15, 10], [20, 20, 30, 30]])
        array([[0.33333333, 0.        ]])
    """
    tensor_in = isinstance(boxes1, torch.Tensor) or isinstance(boxes2, torch.Tensor)
    device = next((boxes.device for boxes in (boxes1, boxes2) if isinstance(boxes, torch.Tensor)), None)
    overlaps = torchvision.ops.box_iou(_box_tensor("box_iou", "boxes1", boxes1, device),
                                       _box_tensor("box_iou", "boxes2", boxes2, device))
    return overlaps if tensor_in else overlaps.numpy()


def non_max_suppression(boxes, scores, labels=None, iou_threshold=0.5, max_detections=None):
    """Indices of the boxes kept by non-max suppression, by score descending (torchvision.ops.nms / batched_nms).

    A box is dropped when it overlaps a kept box of higher score by IoU > iou_threshold; with `labels`, only boxes
    of the same label suppress each other.

    Args:
        boxes: (N, 4) boxes (x_min, y_min, x_max, y_max) in pixels, numpy or torch.
        scores: (N,) confidence of each box.
        labels: optional (N,) class of each box (ints, or any values numpy can sort).
        iou_threshold: the overlap in [0, 1] above which the lower-scored box is dropped.
        max_detections: keep at most this many (the best), or None for all.

    Returns:
        int64 indices into `boxes`: a tensor on the boxes' device when `boxes` is a tensor, else a numpy array.

    Example:
        >>> non_max_suppression([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]], [0.9, 0.8, 0.7])
        array([0, 2])
    """
    owner = "non_max_suppression"
    box_tensor = _box_tensor(owner, "boxes", boxes)
    score_tensor = _check_length(owner, "scores", _tensor(scores), len(box_tensor))
    if isinstance(iou_threshold, bool) or not isinstance(iou_threshold, numbers.Real) or not 0 <= iou_threshold <= 1:
        raise ValueError(f"{owner}: `iou_threshold` must be a number in [0, 1], received {iou_threshold!r}.")
    score_tensor = score_tensor.to(box_tensor.device, box_tensor.dtype)
    if labels is None:
        keep = torchvision.ops.nms(box_tensor, score_tensor, float(iou_threshold))
    else:
        groups = _check_length(owner, "labels", _numpy(labels), len(box_tensor))
        groups = torch.as_tensor(np.unique(groups, return_inverse=True)[1].reshape(-1), device=box_tensor.device)
        keep = torchvision.ops.batched_nms(box_tensor, score_tensor, groups, float(iou_threshold))
    if max_detections is not None:
        keep = keep[:check_positive_int(owner, "max_detections", max_detections)]
    return keep if isinstance(boxes, torch.Tensor) else keep.numpy()


def mean_average_precision(predictions, targets, iou_thresholds=(0.5,), max_detections=100):
    """COCO mean average precision of detected boxes, equal to pycocotools' COCOeval (bbox, area 'all').

    Per class and IoU threshold: each image's detections of the class, best score first (at most
    `max_detections`), are matched greedily to the unmatched true box of highest IoU >= the threshold; precision
    is made non-increasing and read at the 101 recall levels 0, 0.01, ..., 1 (0 beyond the highest recall
    reached), and their mean is the class's AP. Classes without true boxes are left out of the means.

    Args:
        predictions: one dict per image, {"boxes": (M, 4), "scores": (M,), "labels": (M,)}, numpy or torch.
        targets: one dict per image, in the same order, {"boxes": (G, 4), "labels": (G,)}.
        iou_thresholds: a number, a sequence of numbers in [0, 1], or "coco" for 0.50:0.05:0.95.
        max_detections: the most detections per image and class that count (COCO: 100).

    Returns:
        {"map": mean AP over thresholds and classes, "map_50": at IoU 0.5 and "map_75": at 0.75 (each only when
        among the thresholds), "per_class": {label: AP averaged over thresholds}}. With no true box at all the
        means are NaN (COCO reports -1).

    Example:
        >>> mean_average_precision([{"boxes": [[0, 0, 10, 10]], "scores": [0.9], "labels": [1]}],
        ...                        [{"boxes": [[0, 0, 10, 10]], "labels": [1]}], iou_thresholds="coco")["map"]
        1.0
    """
    thresholds = _iou_thresholds(iou_thresholds)
    max_detections = check_positive_int("mean_average_precision", "max_detections", max_detections)
    images = _detection_lists(predictions, targets)
    scores, matches, true_counts = {}, {}, {}
    for boxes, image_scores, labels, true_boxes, true_labels in images:
        for label in set(labels.tolist()) | set(true_labels.tolist()):
            chosen = labels == label
            order = np.argsort(-image_scores[chosen], kind="mergesort")[:max_detections]
            truth = true_boxes[true_labels == label]
            scores.setdefault(label, []).append(image_scores[chosen][order])
            matches.setdefault(label, []).append(_greedy_matches(boxes[chosen][order], truth, thresholds))
            true_counts[label] = true_counts.get(label, 0) + len(truth)
    per_class = {label: _average_precision(np.concatenate(scores[label]), np.concatenate(matches[label], axis=1),
                                           count) for label, count in sorted(true_counts.items()) if count}
    table = np.array(list(per_class.values())).reshape(len(per_class), len(thresholds))  # (classes, thresholds)
    result = {"map": _mean(table)}
    for name, threshold in (("map_50", 0.5), ("map_75", 0.75)):
        column = np.flatnonzero(np.abs(thresholds - threshold) < 1e-9)
        if len(column):
            result[name] = _mean(table[:, column[0]])
    result["per_class"] = {label: float(row.mean()) for label, row in per_class.items()}
    return result


def _mean(values):
    return float(values.mean()) if values.size else float("nan")


def _greedy_matches(boxes, true_boxes, thresholds):
    """(thresholds, detections) bool: detection d (best score first) matched a true box, as COCOeval matches."""
    matched = np.zeros((len(thresholds), len(boxes)), dtype=bool)
    if len(boxes) == 0 or len(true_boxes) == 0:
        return matched
    overlaps = torchvision.ops.box_iou(torch.from_numpy(boxes), torch.from_numpy(true_boxes)).numpy()
    overlaps = np.nan_to_num(overlaps, nan=0.0)  # two boxes of area 0: COCO's IoU is 0
    limits = np.minimum(thresholds, 1 - 1e-10)  # COCO's cap, so that IoU 1 matches at threshold 1
    taken = np.zeros((len(thresholds), len(true_boxes)), dtype=bool)
    rows = np.arange(len(thresholds))
    for detection, row in enumerate(overlaps):
        free = np.where(taken, -1.0, row)  # (thresholds, true boxes)
        best = free.shape[1] - 1 - free[:, ::-1].argmax(axis=1)  # ties go to the last true box, as in COCOeval
        hit = free[rows, best] >= limits
        matched[hit, detection] = True
        taken[rows[hit], best[hit]] = True
    return matched


def _average_precision(scores, matched, true_count):
    """(thresholds,) AP of one class from its detections' scores and (thresholds, detections) matches."""
    if matched.shape[1] == 0:
        return np.zeros(len(matched))
    hits = matched[:, np.argsort(-scores, kind="mergesort")]  # stable: ties keep image order, as in COCOeval
    true_positives = np.cumsum(hits, axis=1)
    recall = true_positives / true_count
    precision = true_positives / np.arange(1, hits.shape[1] + 1)
    precision = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    average = np.empty(len(matched))
    for index, (levels, values) in enumerate(zip(recall, precision)):
        positions = np.searchsorted(levels, RECALL_THRESHOLDS, side="left")
        inside = positions < len(values)
        average[index] = np.where(inside, values[np.minimum(positions, len(values) - 1)], 0.0).mean()
    return average


def _iou_thresholds(iou_thresholds):
    if isinstance(iou_thresholds, str):
        if iou_thresholds.lower() == "coco":
            return COCO_IOU_THRESHOLDS
        raise ValueError(f"mean_average_precision: unknown iou_thresholds={iou_thresholds!r}."
                         f"{nearest_suggestion(iou_thresholds, ['coco'])} Pass 'coco' (0.50:0.05:0.95), a number "
                         f"or a sequence of numbers in [0, 1].")
    values = np.atleast_1d(np.asarray(iou_thresholds, dtype=object))
    if values.ndim != 1 or len(values) == 0 or not all(
            isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 <= value <= 1 for value in values):
        raise ValueError(f"mean_average_precision: `iou_thresholds` must be 'coco', a number or a sequence of "
                         f"numbers in [0, 1], received {iou_thresholds!r}.")
    return values.astype(np.float64)


def _detection_lists(predictions, targets):
    """Per image (boxes, scores, labels, true_boxes, true_labels) as numpy arrays, checked."""
    for name, value in (("predictions", predictions), ("targets", targets)):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"mean_average_precision: `{name}` must be a list with one dict per image, received "
                            f"{type(value).__name__}.")
    if len(predictions) != len(targets):
        raise ValueError(f"mean_average_precision: {len(predictions)} predictions but {len(targets)} targets; pass "
                         f"one dict per image to both, in the same order (an image without detections gets "
                         f"empty arrays).")
    images = []
    for index, (prediction, target) in enumerate(zip(predictions, targets)):
        boxes, scores, labels = _fields(prediction, f"predictions[{index}]", ("boxes", "scores", "labels"))
        true_boxes, true_labels = _fields(target, f"targets[{index}]", ("boxes", "labels"))
        images.append((boxes, scores.astype(np.float64), labels, true_boxes, true_labels))
    return images


def _fields(entry, where, keys):
    owner = "mean_average_precision"
    if not isinstance(entry, dict) or any(key not in entry for key in keys):
        found = f"keys {list(entry)}" if isinstance(entry, dict) else type(entry).__name__
        raise ValueError(f"{owner}: {where} must be a dict with keys {list(keys)}, received {found}.")
    boxes = _box_tensor(owner, f'{where}["boxes"]', entry["boxes"]).cpu().to(torch.float64).numpy()
    return [boxes] + [_check_length(owner, f'{where}["{key}"]', _numpy(entry[key]), len(boxes)) for key in keys[1:]]


def _keypoints(owner, predicted, true, mask):
    """(predicted, true, visible) as float64 arrays and an (N, K) bool array, checked."""
    predicted, true = _float(predicted), _float(true)
    for name, points in (("predicted", predicted), ("true", true)):
        if points.ndim != 3 or points.shape[-1] != 2:
            raise ValueError(f"{owner}: `{name}` must be (samples, keypoints, 2) pixel coordinates (x, y), "
                             f"received shape {points.shape}. For one sample add a leading axis: points[None].")
    if predicted.shape != true.shape:
        raise ValueError(f"{owner}: `predicted` has shape {predicted.shape} but `true` has shape {true.shape}; "
                         f"pass one predicted point per true point.")
    visible = ~np.isnan(true).any(axis=-1)
    if mask is not None:
        mask = _numpy(mask)
        if mask.dtype != bool:
            raise TypeError(f"{owner}: `mask` must be bool, received {mask.dtype}. Convert it, e.g. "
                            f"mask=visibility > 0.")
        if mask.shape != true.shape[:2]:
            raise ValueError(f"{owner}: `mask` must have shape {true.shape[:2]} (samples, keypoints), received "
                             f"{mask.shape}.")
        visible &= mask
    if not visible.any():
        raise ValueError(f"{owner}: no visible keypoints (all are NaN in `true` or False in `mask`); there is "
                         f"nothing to measure.")
    return predicted, true, visible


def _box_tensor(owner, argument, values, device=None):
    """values as a floating (N, 4) tensor of (x_min, y_min, x_max, y_max), checked."""
    boxes = _tensor(values)
    if boxes.numel() == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.dim() != 2 or boxes.shape[1] != 4 or boxes.dtype == torch.bool or boxes.is_complex():
        raise ValueError(f"{owner}: `{argument}` must be numeric boxes (N, 4) (x_min, y_min, x_max, y_max), "
                         f"received shape {tuple(boxes.shape)} of {boxes.dtype}.")
    if not boxes.is_floating_point():
        boxes = boxes.to(torch.float32 if isinstance(values, torch.Tensor) else torch.float64)
    flipped = torch.nonzero((boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1]))
    if len(flipped):
        row = int(flipped[0, 0])
        raise ValueError(f"{owner}: `{argument}` row {row} is {boxes[row].tolist()}, with x_max < x_min or y_max < "
                         f"y_min. Boxes must be (x_min, y_min, x_max, y_max); if yours are (x, y, width, height), "
                         f"convert them with torchvision.ops.box_convert(boxes, 'xywh', 'xyxy').")
    return boxes if device is None else boxes.to(device)


def _check_length(owner, argument, vector, length):
    """vector (numpy or torch) if its shape is (length,), else a ValueError naming it."""
    if tuple(vector.shape) != (length,):
        raise ValueError(f"{owner}: `{argument}` must have one value per box, shape ({length},), received shape "
                         f"{tuple(vector.shape)}.")
    return vector


def _float(values):
    return _numpy(values).astype(np.float64)


def _numpy(values):
    return values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)


def _tensor(values):
    return values.detach() if isinstance(values, torch.Tensor) else torch.as_tensor(np.asarray(values))
