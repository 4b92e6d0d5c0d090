"""One KITTI tracking sequence's inputs, read once and served frame by frame as Taishan measurements.

Frames are 10 Hz (KITTI's velodyne rate): frame k has stamp k * 100 ms. Lidar boxes come out in
KITTI_FRAME (REP 103 axes; PointRCNN's boxes are already in the rectified frame), camera boxes in
pixels of the left colour camera (P2).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from datasets.kitti.calibration import KittiCalibration, read_calibration
from datasets.kitti.detections import ImageDetections, read_pointrcnn, read_rrc
from datasets.kitti.frames import KITTI_FRAME, kitti_to_flu_boxes
from datasets.kitti.layout import CAMERA_CLASSES, LIDAR_CLASSES, KittiLayout, SequenceEntry
from datasets.kitti.objects import KittiObjects
from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import Boxes3D, CameraDetections

FRAME_PERIOD_NS = 100_000_000
LIDAR_SENSOR = "lidar_pointrcnn"
LIDAR_FRAME = "kitti_pointrcnn"   # the detector's vehicle-config frame, mounted at KITTI_FRAME (identity)
CAMERA_SENSOR = "camera_rrc"
CAMERA_FRAME = "kitti_camera_2"

# KITTI type name <-> Taishan class, for the classes KITTI tracking scores.
KITTI_CLASS = {"Car": ObjectClass.CAR, "Pedestrian": ObjectClass.PEDESTRIAN, "Cyclist": ObjectClass.BICYCLE}
KITTI_TYPE_OF = {int(c): name for name, c in KITTI_CLASS.items()}


def frame_stamp_ns(frame: int) -> int:
    return int(frame) * FRAME_PERIOD_NS


def _grouped(frames: np.ndarray, n_frames: int) -> list[np.ndarray]:
    """Row indices of each frame 0..n_frames-1 (rows in any order)."""
    order = np.argsort(frames, kind="stable")
    bounds = np.searchsorted(frames[order], np.arange(n_frames + 1))
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


@dataclass
class KittiSequence:
    """Inputs of one sequence: calibration, PointRCNN boxes of the wanted classes (converted to
    KITTI_FRAME once) and, when the camera is used, RRC boxes of the wanted classes that have them."""

    entry: SequenceEntry
    calibration: KittiCalibration
    lidar: KittiObjects
    camera: list[ImageDetections]
    _lidar_rows: list[np.ndarray] = field(init=False, repr=False)
    _camera_rows: list[np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = self.entry.n_frames
        self._centers, self._sizes, self._yaws = kitti_to_flu_boxes(self.lidar.dimensions, self.lidar.locations, self.lidar.rotation_y)
        self._lidar_classes = np.array([int(KITTI_CLASS[t]) for t in self.lidar.types], dtype=np.int64)
        self._lidar_rows = _grouped(self.lidar.frames, n)
        self._cam_boxes = np.concatenate([d.boxes for d in self.camera]) if self.camera else np.zeros((0, 4))
        self._cam_scores = np.concatenate([d.scores for d in self.camera]) if self.camera else np.zeros(0)
        self._cam_classes = np.concatenate([np.full(len(d), int(KITTI_CLASS[d.type])) for d in self.camera]).astype(np.int64) \
            if self.camera else np.zeros(0, dtype=np.int64)
        frames = np.concatenate([d.frames for d in self.camera]) if self.camera else np.zeros(0, dtype=np.int64)
        self._camera_rows = _grouped(frames, n)

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def n_frames(self) -> int:
        return self.entry.n_frames

    def lidar_boxes(self, frame: int, label: int | None = None) -> Boxes3D:
        """PointRCNN boxes of one frame (of one ObjectClass `label`, or all) in KITTI_FRAME, with the
        detector's scores."""
        rows = self._lidar_rows[frame]
        if label is not None:
            rows = rows[self._lidar_classes[rows] == label]
        return Boxes3D(stamp_ns=frame_stamp_ns(frame), frame_id=KITTI_FRAME, sensor_id=LIDAR_SENSOR,
                       centers=self._centers[rows], sizes=self._sizes[rows], yaws=self._yaws[rows],
                       classes=self._lidar_classes[rows], scores=self.lidar.scores[rows])

    def camera_boxes(self, frame: int, label: int | None = None) -> CameraDetections:
        """RRC boxes of one frame (of one ObjectClass `label`, or all) in pixels of the left colour image."""
        rows = self._camera_rows[frame]
        if label is not None:
            rows = rows[self._cam_classes[rows] == label]
        return CameraDetections(stamp_ns=frame_stamp_ns(frame), frame_id=CAMERA_FRAME, sensor_id=CAMERA_SENSOR,
                                boxes=self._cam_boxes[rows], classes=self._cam_classes[rows], scores=self._cam_scores[rows])


def load_sequence(layout: KittiLayout, entry: SequenceEntry, classes: list[str], with_camera: bool) -> KittiSequence:
    """Read a sequence's calibration and detections. A missing file is an InputError naming it."""
    unknown = [c for c in classes if c not in LIDAR_CLASSES]
    if unknown:
        raise InputError("classes", f"no PointRCNN detections for {unknown} (available: {', '.join(LIDAR_CLASSES)})")
    calibration = read_calibration(layout.calibration(entry.name))
    lidar = KittiObjects.concatenate([read_pointrcnn(layout.lidar_detections(c, entry.name), entry.n_frames, c) for c in classes])
    camera = [read_rrc(layout.camera_detections(c, entry.name), c, entry.n_frames)
              for c in classes if with_camera and c in CAMERA_CLASSES]
    return KittiSequence(entry, calibration, lidar, camera)
