"""Average precision of 3D detectors in the bird's-eye view, computed by pycocotools' COCOeval
(matching, 101-point interpolated precision) with its box IoU replaced by the rotated BEV IoU.

Ground-truth boxes marked `ignore` (too few lidar points to be seen) become COCO "crowd" regions: a
detection on one is neither a true nor a false positive. Besides per-class AP, a class-agnostic
`object` AP scores localisation alone (fair to detectors whose class guesses are coarse).
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from datasets.kitti.box_iou import iou_3d
from fusion.core.classes import ObjectClass

IOU_THRESHOLDS = (0.25, 0.5, 0.7)
PRIMARY_IOU = {ObjectClass.CAR: 0.5}     # other classes: 0.25 (small boxes)
DEFAULT_PRIMARY_IOU = 0.25
AGNOSTIC = "object"


def bev_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(Na, Nb) rotated BEV IoU of boxes given as rows x, y, l, w, yaw."""
    a, b = np.asarray(a, dtype=float).reshape(-1, 5), np.asarray(b, dtype=float).reshape(-1, 5)

    def lift(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.column_stack([x[:, :2], np.zeros(len(x))]), np.column_stack([x[:, 2:4], np.ones(len(x))]), x[:, 4])

    return iou_3d(*lift(a), *lift(b))


@dataclass
class FrameBoxes:
    """One frame's boxes: rows x, y, l, w, yaw (N, 5), classes (N,), scores (N,) (detections) or
    ignore flags (N,) (ground truth)."""

    bev: np.ndarray
    classes: np.ndarray
    scores: np.ndarray | None = None
    ignore: np.ndarray | None = None


@dataclass
class ApAccumulator:
    """Collects detections and ground truth frame by frame; `result()` scores them."""

    classes: list[ObjectClass]
    max_detections: int = 100
    gts: list[dict] = field(default_factory=list)
    dts: list[dict] = field(default_factory=list)
    frames: int = 0

    def add(self, detections: FrameBoxes, truth: FrameBoxes) -> None:
        image = self.frames
        self.frames += 1
        ignore = truth.ignore if truth.ignore is not None else np.zeros(len(truth.bev), dtype=bool)
        for box, cls, ign in zip(truth.bev, truth.classes, ignore):
            self.gts.append(_annotation(box, int(cls), image) | {"iscrowd": int(bool(ign)), "id": len(self.gts) + 1})
        for box, cls, score in zip(detections.bev, detections.classes, detections.scores):
            self.dts.append(_annotation(box, int(cls), image) | {"score": float(score)})

    def result(self) -> dict[str, dict[str, float]]:
        """{class name: {'AP@0.25': .., 'AP@0.5': .., 'AP@0.7': .., 'AP': at the class's primary IoU,
        'gt': count}} plus the class-agnostic 'object' entry and 'mAP' (mean of the classes' AP)."""
        out = {c.name.lower(): self._score(c) for c in self.classes}
        out["mAP"] = {"AP": float(np.mean([out[c.name.lower()]["AP"] for c in self.classes]))}
        out[AGNOSTIC] = self._score(None)
        return out

    def _score(self, cls: ObjectClass | None) -> dict[str, float]:
        wanted = (lambda a: True) if cls is None else (lambda a: a["category_id"] == int(cls))
        gts = [dict(a, category_id=1) for a in self.gts if wanted(a)]
        dts = [dict(a, category_id=1) for a in self.dts if wanted(a)]
        primary = DEFAULT_PRIMARY_IOU if cls is None else PRIMARY_IOU.get(cls, DEFAULT_PRIMARY_IOU)
        figures = {f"AP@{t:g}": 0.0 for t in IOU_THRESHOLDS} | {"gt": float(sum(not a["iscrowd"] for a in gts))}
        if not figures["gt"] or not dts:
            return figures | {"AP": 0.0}
        with contextlib.redirect_stdout(io.StringIO()):
            truth = COCO()
            truth.dataset = {"images": [{"id": i} for i in range(self.frames)], "categories": [{"id": 1, "name": "object"}],
                             "annotations": gts}
            truth.createIndex()
            detections = truth.loadRes(dts)
            evaluator = BevEval(truth, detections, "bbox")
            p = evaluator.params
            p.iouThrs = np.array(IOU_THRESHOLDS)
            p.areaRng, p.areaRngLbl, p.maxDets = [[0.0, 1e12]], ["all"], [self.max_detections]
            evaluator.evaluate()
            evaluator.accumulate()
        precision = evaluator.eval["precision"][:, :, 0, 0, 0]      # (thresholds, recall points)
        for t, row in zip(IOU_THRESHOLDS, precision):
            valid = row[row > -1]
            figures[f"AP@{t:g}"] = float(valid.mean()) if valid.size else 0.0
        return figures | {"AP": figures[f"AP@{primary:g}"]}


def _annotation(box: np.ndarray, cls: int, image: int) -> dict:
    x, y, length, width, yaw = (float(v) for v in box)
    c, s = abs(np.cos(yaw)), abs(np.sin(yaw))
    ex, ey = length * c + width * s, length * s + width * c           # axis-aligned extent (COCO's bbox)
    return {"image_id": image, "category_id": cls, "bbox": [x - ex / 2, y - ey / 2, ex, ey], "area": length * width,
            "bev": [x, y, length, width, yaw]}


class BevEval(COCOeval):
    """COCOeval whose IoU is the rotated BEV IoU of the annotations' `bev` boxes."""

    def computeIoU(self, imgId, catId):  # noqa: N802 (COCOeval's name)
        gt, dt = self._gts[imgId, catId], self._dts[imgId, catId]
        if not gt or not dt:
            return []
        order = np.argsort([-d["score"] for d in dt], kind="mergesort")
        dt = [dt[i] for i in order][: self.params.maxDets[-1]]
        return bev_iou(np.array([d["bev"] for d in dt]), np.array([g["bev"] for g in gt]))
