"""KITTI tracking rows (labels, tracker results, 3D detections) as one struct of arrays, with the
label/result file reader and the result writer.

A row is `frame track_id type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y [score]`
in the camera-rectified frame (x y z = bottom centre of the box). Ground truth has no score;
results and detections do. `DontCare` rows carry track id -1.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from datasets.kitti.frames import flu_to_kitti_boxes, observation_angle
from datasets.kitti.table import check_frame, read_table
from fusion.core.errors import InputError

# Every object type KITTI tracking labels use ("Person" is KITTI tracking's person sitting).
KITTI_TYPES = ("Car", "Van", "Truck", "Pedestrian", "Person", "Person_sitting", "Cyclist", "Tram", "Misc", "DontCare")

_COLUMNS = [("frame", int), ("track_id", int), ("type", str), ("truncated", float), ("occluded", int),
            ("alpha", float), ("x1", float), ("y1", float), ("x2", float), ("y2", float), ("h", float),
            ("w", float), ("l", float), ("x", float), ("y", float), ("z", float), ("rotation_y", float),
            ("score", float)]


@dataclass
class KittiObjects:
    """N KITTI rows; boxes_2d are x1 y1 x2 y2 pixels in the left colour image, dimensions h w l [m],
    locations x y z [m] of the bottom centre in the camera-rectified frame, scores NaN when absent."""

    frames: np.ndarray
    track_ids: np.ndarray
    types: np.ndarray
    truncated: np.ndarray
    occluded: np.ndarray
    alpha: np.ndarray
    boxes_2d: np.ndarray
    dimensions: np.ndarray
    locations: np.ndarray
    rotation_y: np.ndarray
    scores: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.frames)
        for f in fields(self):
            if len(getattr(self, f.name)) != n:
                raise InputError("KITTI objects", f"array {f.name!r} has {len(getattr(self, f.name))} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.frames)

    @classmethod
    def empty(cls) -> KittiObjects:
        return cls.concatenate([])

    @classmethod
    def concatenate(cls, parts: list[KittiObjects]) -> KittiObjects:
        if not parts:
            shapes = {"boxes_2d": (0, 4), "dimensions": (0, 3), "locations": (0, 3)}
            ints = {"frames", "track_ids", "occluded"}
            return cls(**{f.name: np.zeros(shapes.get(f.name, (0,)), dtype=object if f.name == "types" else
                                           np.int64 if f.name in ints else float) for f in fields(cls)})
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def select(self, keep: np.ndarray) -> KittiObjects:
        """The rows picked by a boolean mask or an index array."""
        return KittiObjects(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})

    def of_types(self, *types: str) -> KittiObjects:
        return self.select(np.isin(self.types, types))

    def frame_slices(self, n_frames: int) -> list[slice]:
        """Per frame, the slice of rows holding it (rows must be sorted by frame; see sorted_by_frame)."""
        bounds = np.searchsorted(self.frames, np.arange(n_frames + 1))
        return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]

    def sorted_by_frame(self) -> KittiObjects:
        return self.select(np.argsort(self.frames, kind="stable"))


def kitti_rows(frames: np.ndarray, track_ids: np.ndarray, centers: np.ndarray, sizes: np.ndarray, yaws: np.ndarray,
               scores: np.ndarray, boxes_2d: np.ndarray, type_name: str) -> KittiObjects:
    """Tracker output as KITTI result rows of one type: per row its frame, track id, 3D box in
    KITTI_FRAME (volume centre, size l w h, yaw), score (the track's existence probability) and
    image box x1 y1 x2 y2. Row-wise, so a whole sequence converts in one call."""
    n = len(frames)
    dims, locations, rotation_y = flu_to_kitti_boxes(centers, sizes, yaws)
    return KittiObjects(
        frames=np.asarray(frames, dtype=np.int64), track_ids=np.asarray(track_ids, dtype=np.int64),
        types=np.full(n, type_name, dtype=object), truncated=np.zeros(n), occluded=np.zeros(n, dtype=np.int64),
        alpha=observation_angle(locations, rotation_y), boxes_2d=np.asarray(boxes_2d, dtype=float).reshape(-1, 4),
        dimensions=dims, locations=locations, rotation_y=rotation_y, scores=np.asarray(scores, dtype=float))


def _row_table(table: dict[str, np.ndarray]) -> KittiObjects:
    return KittiObjects(
        frames=table["frame"], track_ids=table["track_id"], types=table["type"], truncated=table["truncated"],
        occluded=table["occluded"], alpha=table["alpha"],
        boxes_2d=np.column_stack([table[k] for k in ("x1", "y1", "x2", "y2")]).reshape(-1, 4),
        dimensions=np.column_stack([table[k] for k in ("h", "w", "l")]).reshape(-1, 3),
        locations=np.column_stack([table[k] for k in ("x", "y", "z")]).reshape(-1, 3),
        rotation_y=table["rotation_y"], scores=table["score"])


def read_tracking_file(path: str | Path, n_frames: int | None = None) -> KittiObjects:
    """A KITTI tracking label file (17 columns) or result file (18 columns, with score).

    Raises InputError naming file and line for a wrong column count, a non-numeric field, an
    unknown type, a frame outside 0..n_frames-1, or a track id below -1.
    """

    def check(row: dict[str, object], source: str) -> None:
        check_frame(int(row["frame"]), n_frames, source)
        if row["type"] not in KITTI_TYPES:
            raise InputError(source, f"unknown object type {row['type']!r} (KITTI types: {', '.join(KITTI_TYPES)})")
        if int(row["track_id"]) < -1:
            raise InputError(source, f"track id {row['track_id']} is below -1")
        if row["x2"] < row["x1"] or row["y2"] < row["y1"]:  # type: ignore[operator]
            raise InputError(source, f"2D box has x2 < x1 or y2 < y1: {[row[k] for k in ('x1', 'y1', 'x2', 'y2')]}")

    return _row_table(read_table(path, _COLUMNS, optional=1, check_row=check))


def format_tracking_rows(objects: KittiObjects) -> str:
    """The rows in KITTI tracking result format (18 columns, score last)."""
    lines = []
    for i in range(len(objects)):
        b, d, p = objects.boxes_2d[i], objects.dimensions[i], objects.locations[i]
        score = objects.scores[i] if np.isfinite(objects.scores[i]) else 1.0
        lines.append(
            f"{objects.frames[i]} {objects.track_ids[i]} {objects.types[i]} {objects.truncated[i]:g} {objects.occluded[i]} "
            f"{objects.alpha[i]:.6f} {b[0]:.4f} {b[1]:.4f} {b[2]:.4f} {b[3]:.4f} {d[0]:.6f} {d[1]:.6f} {d[2]:.6f} "
            f"{p[0]:.6f} {p[1]:.6f} {p[2]:.6f} {objects.rotation_y[i]:.6f} {score:.6f}\n")
    return "".join(lines)


def write_tracking_file(path: str | Path, objects: KittiObjects) -> None:
    """Write a result file (one per sequence), sorted by frame; written to a temporary file and
    renamed so that an interrupted run never leaves a half-written result behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(format_tracking_rows(objects.sorted_by_frame()))
    os.replace(tmp, path)
