"""Detector outputs distributed with AB3DMOT / DeepFusionMOT for KITTI tracking.

PointRCNN (lidar, 3D): `frame,type,x1,y1,x2,y2,score,h,w,l,x,y,z,rotation_y,alpha` with type
1 Pedestrian, 2 Car, 3 Cyclist; the 3D box in the camera-rectified frame, x y z its bottom centre.
RRC (camera, 2D): `frame,x1,y1,x2,y2,score` in pixels of the left colour image, one file per class.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from datasets.kitti.objects import KittiObjects
from datasets.kitti.table import check_frame, read_table
from fusion.core.errors import InputError

POINTRCNN_TYPES = {1: "Pedestrian", 2: "Car", 3: "Cyclist"}

_POINTRCNN_COLUMNS = [("frame", int), ("type", int), ("x1", float), ("y1", float), ("x2", float), ("y2", float),
                      ("score", float), ("h", float), ("w", float), ("l", float), ("x", float), ("y", float),
                      ("z", float), ("rotation_y", float), ("alpha", float)]
_RRC_COLUMNS = [("frame", int), ("x1", float), ("y1", float), ("x2", float), ("y2", float), ("score", float)]


@dataclass
class ImageDetections:
    """2D detections of one class: frame (N,), boxes x1 y1 x2 y2 (N, 4), score (N,)."""

    type: str
    frames: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.frames)

    def select(self, keep: np.ndarray) -> ImageDetections:
        return ImageDetections(self.type, self.frames[keep], self.boxes[keep], self.scores[keep])


def _check_box(row: dict[str, object], source: str) -> None:
    if row["x2"] < row["x1"] or row["y2"] < row["y1"]:  # type: ignore[operator]
        raise InputError(source, f"2D box has x2 < x1 or y2 < y1: {[row[k] for k in ('x1', 'y1', 'x2', 'y2')]}")


def read_pointrcnn(path: str | Path, n_frames: int | None = None, expected_type: str | None = None) -> KittiObjects:
    """PointRCNN detections as KittiObjects (track id, truncation and occlusion -1).

    `expected_type` (e.g. 'Car' for det_pointrcnn/Car/...) makes a row of another class an error.
    """

    def check(row: dict[str, object], source: str) -> None:
        check_frame(int(row["frame"]), n_frames, source)
        name = POINTRCNN_TYPES.get(int(row["type"]))  # type: ignore[call-overload]
        if name is None:
            raise InputError(source, f"unknown PointRCNN class {row['type']} (1 Pedestrian, 2 Car, 3 Cyclist)")
        if expected_type is not None and name != expected_type:
            raise InputError(source, f"class {row['type']} ({name}) in a {expected_type} detection file")
        if min(row["h"], row["w"], row["l"]) <= 0:  # type: ignore[type-var]
            raise InputError(source, f"box dimensions h w l must be positive, got {row['h']} {row['w']} {row['l']}")
        _check_box(row, source)

    t = read_table(path, _POINTRCNN_COLUMNS, separator=",", check_row=check)
    n = len(t["frame"])
    return KittiObjects(
        frames=t["frame"], track_ids=np.full(n, -1, dtype=np.int64),
        types=np.array([POINTRCNN_TYPES[int(c)] for c in t["type"]], dtype=object),
        truncated=np.full(n, -1.0), occluded=np.full(n, -1, dtype=np.int64), alpha=t["alpha"],
        boxes_2d=np.column_stack([t[k] for k in ("x1", "y1", "x2", "y2")]).reshape(-1, 4),
        dimensions=np.column_stack([t[k] for k in ("h", "w", "l")]).reshape(-1, 3),
        locations=np.column_stack([t[k] for k in ("x", "y", "z")]).reshape(-1, 3),
        rotation_y=t["rotation_y"], scores=t["score"])


def read_rrc(path: str | Path, type_name: str, n_frames: int | None = None) -> ImageDetections:
    """RRC 2D detections of one class (the file's folder names it)."""

    def check(row: dict[str, object], source: str) -> None:
        check_frame(int(row["frame"]), n_frames, source)
        _check_box(row, source)

    t = read_table(path, _RRC_COLUMNS, separator=",", check_row=check)
    return ImageDetections(type_name, t["frame"], np.column_stack([t[k] for k in ("x1", "y1", "x2", "y2")]).reshape(-1, 4),
                           t["score"])
