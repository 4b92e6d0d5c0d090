"""KITTI tracking for the learned association: ground-truth identities of PointRCNN boxes, the tracker
run over a sequence with a chosen lidar association cost, and the recorder that turns the Kalman-only
tracker's candidate pairs into labelled training samples.

The run mirrors datasets.kitti.pipeline.track_sequence with lidar boxes only (that function takes no
lidar cost from its caller); it reports tracks by the same rule (configs/kitti.yaml `output`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np
from scipy.optimize import linear_sum_assignment

from datasets.kitti.box_iou import iou_3d
from datasets.kitti.config import KittiConfig
from datasets.kitti.frames import kitti_to_flu_boxes
from datasets.kitti.layout import KittiLayout
from datasets.kitti.objects import KittiObjects, read_tracking_file
from datasets.kitti.pipeline import _kitti_rows, kitti_vehicle
from datasets.kitti.sequence import KITTI_CLASS, KittiSequence, frame_stamp_ns
from fusion.camera_fusion.projection import BoxProjector
from fusion.core.measurements import Boxes3D
from fusion.core.objects import TrackStatus
from fusion.learned.association.cost import with_gate
from fusion.learned.association.features import FEATURE_NAMES, RESIDUAL_DIM, pair_features, track_features
from fusion.tracking.association import Candidates, MahalanobisCost, assign, chi_square_gate
from fusion.tracking.measurement import usable_rows
from fusion.tracking.tracker import MultiObjectTracker


class BindableCost(Protocol):
    unassigned_cost: float

    def bind(self, tracker: MultiObjectTracker) -> object: ...
    def __call__(self, pairs: Candidates) -> np.ndarray: ...


def lidar_gate(config: KittiConfig, cls: str) -> float:
    """The chi-square gate of the class's tracker on lidar box innovations."""
    return chi_square_gate(config.classes[cls].tracker.association.gate_probability, RESIDUAL_DIM)


def truth_ids(labels: KittiObjects, boxes: Boxes3D, frame_rows: slice, match_iou: float) -> np.ndarray:
    """Ground-truth track id (-1: none) of each box of one frame: one-to-one matching of boxes and
    label boxes of that frame by 3D IoU (Hungarian), pairs below match_iou left unmatched."""
    ids = np.full(len(boxes), -1, dtype=np.int64)
    frame = labels.select(frame_rows)
    if not len(frame) or not len(boxes):
        return ids
    centers, sizes, yaws = kitti_to_flu_boxes(frame.dimensions, frame.locations, frame.rotation_y)
    iou = iou_3d(boxes.centers, boxes.sizes, boxes.yaws, centers, sizes, yaws)
    rows, cols = linear_sum_assignment(-iou)
    good = iou[rows, cols] >= match_iou
    ids[rows[good]] = frame.track_ids[cols[good]]
    return ids


def class_labels(layout: KittiLayout, sequence: KittiSequence, cls: str) -> KittiObjects:
    """The sequence's label rows of one class (track ids >= 0), sorted by frame."""
    labels = read_tracking_file(layout.labels(sequence.name), sequence.n_frames)
    return labels.select((labels.types == cls) & (labels.track_ids >= 0)).sorted_by_frame()


def track_lidar(sequence: KittiSequence, cls: str, config: KittiConfig, cost: BindableCost | None = None,
                gate_probability: float | None = None,
                before_step: Callable[[MultiObjectTracker, int, Boxes3D], None] | None = None,
                after_step: Callable[[MultiObjectTracker], None] | None = None) -> KittiObjects:
    """Track one class of a sequence from its PointRCNN boxes; `cost` replaces the lidar association
    cost (None: the configured Kalman-only cost), `gate_probability` the tracker's chi-square gate.
    Returns the reported tracks as KITTI rows."""
    settings = config.classes[cls]
    vehicle = kitti_vehicle(sequence.calibration, settings, config, use_camera=False)
    tracker_config = settings.tracker if gate_probability is None else with_gate(settings.tracker, gate_probability)
    tracker = MultiObjectTracker(tracker_config, vehicle, vehicle.transform_tree(), costs={"lidar": cost} if cost else None)
    if cost is not None:
        cost.bind(tracker)
    camera, T_camera_kitti = sequence.calibration.camera(config.image.camera_index, config.image.width, config.image.height)
    project = BoxProjector(camera, T_camera_kitti)
    coast_ns = settings.output.max_coast_frames * (frame_stamp_ns(1) - frame_stamp_ns(0))
    label = int(KITTI_CLASS[cls])
    rows = []
    for frame in range(sequence.n_frames):
        lidar = sequence.lidar_boxes(frame, label)
        if before_step is not None:
            before_step(tracker, frame, lidar)
        tracker.step(lidar)
        if after_step is not None:
            after_step(tracker)
        objects, tracks = tracker.object_list(lidar.stamp_ns, include_tentative=True), tracker.tracks
        report = ((tracks.status != TrackStatus.TENTATIVE) & (lidar.stamp_ns - tracks.last_hit_ns <= coast_ns)
                  & (tracks.existence >= settings.output.min_existence))
        objects.existence_probability = tracks.existence.copy()
        boxes_2d, _ = project(objects.position, objects.size, objects.yaw)
        rows.append(_kitti_rows(frame, objects.select(report), boxes_2d[report], cls))
    return KittiObjects.concatenate(rows)


@dataclass
class PairRecorder:
    """A Kalman-only lidar cost that records each scored pair's features and ground-truth label.

    Tracks carry the identity of the ground-truth object they follow: that of the detection that
    started them, then of each true detection assigned to them (assignments are recomputed here with
    the tracker's own `assign`, which gives the same result). A pair is positive when its detection
    is a true detection of that object; pairs of tracks that never followed an object are skipped."""

    gate: float
    method: str
    features: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.inner = MahalanobisCost(self.gate)
        self.unassigned_cost = self.inner.unassigned_cost
        self.tracker: MultiObjectTracker | None = None
        self.identity: dict[int, int] = {}
        self.detection_truth = np.zeros(0, dtype=np.int64)
        self.matched = np.zeros(0, dtype=np.int64)

    def bind(self, tracker: MultiObjectTracker) -> PairRecorder:
        self.tracker = tracker
        return self

    def begin(self, detection_truth: np.ndarray) -> None:
        """Truth ids of the rows the tracker will keep of the next batch."""
        self.detection_truth = detection_truth
        self.matched = np.zeros(0, dtype=np.int64)

    def __call__(self, pairs: Candidates) -> np.ndarray:
        costs = self.inner(pairs)
        ids = self.tracker.tracks.ids[pairs.tracks]
        track_truth = np.array([self.identity.get(int(i), -1) for i in ids], dtype=np.int64)
        det_truth = self.detection_truth[pairs.detections]
        known = track_truth >= 0
        self.features.append(pair_features(pairs, track_features(self.tracker))[known])
        self.labels.append(((det_truth >= 0) & (det_truth == track_truth))[known].astype(np.float32))
        matched_t, matched_d = assign(pairs.tracks, pairs.detections, costs, self.unassigned_cost, self.method)
        for t, d in zip(self.tracker.tracks.ids[matched_t], matched_d):
            if self.detection_truth[d] >= 0:
                self.identity[int(t)] = int(self.detection_truth[d])
        self.matched = matched_d
        return costs

    def end(self, tracker: MultiObjectTracker) -> None:
        """Give tracks started this step the identity of their detection (unmatched rows, in order)."""
        new = np.sort(np.array([i for i in tracker.tracks.ids if int(i) not in self.identity], dtype=np.int64))
        unmatched = np.setdiff1d(np.arange(len(self.detection_truth)), self.matched)
        for track_id, row in zip(new, unmatched):
            self.identity[int(track_id)] = int(self.detection_truth[row])


def record_pairs(layout: KittiLayout, sequence: KittiSequence, cls: str, config: KittiConfig, match_iou: float,
                 gate_probability: float) -> tuple[np.ndarray, np.ndarray]:
    """Labelled pair features (K, F) and labels (K,) of one class of one sequence, candidates gated
    at `gate_probability` while the tracker assigns at its own gate (so it runs as Kalman-only)."""
    settings = config.classes[cls]
    labels = class_labels(layout, sequence, cls)
    slices = labels.frame_slices(sequence.n_frames)
    recorder = PairRecorder(lidar_gate(config, cls), settings.tracker.association.method)

    def before(tracker: MultiObjectTracker, frame: int, boxes: Boxes3D) -> None:
        keep, _ = usable_rows(settings.tracker.sensors.lidar.min_score, boxes.scores, boxes.centers, boxes.sizes, boxes.yaws)
        recorder.begin(truth_ids(labels, boxes, slices[frame], match_iou)[keep])

    track_lidar(sequence, cls, config, recorder, gate_probability, before, recorder.end)
    if not recorder.features:
        return np.zeros((0, len(FEATURE_NAMES)), np.float32), np.zeros(0, np.float32)
    return np.concatenate(recorder.features), np.concatenate(recorder.labels)
