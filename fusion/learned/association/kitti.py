"""KITTI tracking for the learned association: ground-truth identities of PointRCNN boxes, the
recorder that turns the Kalman-only tracker's candidate pairs into labelled training samples, and
the learned association of `taishan eval kitti --association learned`. Both run the KITTI pipeline
(datasets.kitti.pipeline.track_sequence) through its tracker hook.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from datasets.kitti.box_iou import iou_3d
from datasets.kitti.config import KittiConfig
from datasets.kitti.frames import kitti_to_flu_boxes
from datasets.kitti.layout import KittiLayout
from datasets.kitti.objects import KittiObjects, read_tracking_file
from datasets.kitti.pipeline import TrackerBuilder, track_sequence
from datasets.kitti.sequence import KittiSequence
from fusion.core.errors import InputError
from fusion.core.measurements import Boxes3D
from fusion.learned.association.config import AssociationConfig
from fusion.learned.association.cost import learned_tracker, tracker_with_cost
from fusion.learned.association.features import FEATURE_NAMES, RESIDUAL_DIM, pair_features, track_features
from fusion.tracking.association import Candidates, MahalanobisCost, assign, chi_square_gate
from fusion.tracking.measurement import usable_rows
from fusion.tracking.tracker import MultiObjectTracker


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

    track_sequence(sequence, cls, config, use_camera=False, before_step=before, after_step=recorder.end,
                   build_tracker=partial(tracker_with_cost, cost=recorder, gate_probability=gate_probability))
    if not recorder.features:
        return np.zeros((0, len(FEATURE_NAMES)), np.float32), np.zeros(0, np.float32)
    return np.concatenate(recorder.features), np.concatenate(recorder.labels)


class LearnedKittiAssociation:
    """The learned lidar association for `taishan eval kitti --association learned`: called with a
    sequence name and a class, it gives the KITTI pipeline's tracker builder (learned_tracker).

    `checkpoint`: a model file, or a `taishan train association` run folder (folds.json), where each
    sequence is tracked by the model of the fold that held it out (a held-out evaluation on the
    folder the run was trained on). `blend`: the learned weight w of the blended cost (1: learned
    only); None keeps the cost section of `config`."""

    def __init__(self, checkpoint: str | Path, config: AssociationConfig, blend: float | None = None):
        checkpoint = Path(checkpoint)
        if blend is not None:
            if not 0.0 <= blend <= 1.0:
                raise InputError("--blend", f"learned weight {blend} is outside [0, 1]")
            config = config.model_copy(update={"cost": config.cost.model_copy(update={"mode": "blend", "learned_weight": blend})})
        self.config = config
        self.fold_checkpoints: dict[str, Path] = {}
        if checkpoint.is_dir():
            folds_file = checkpoint / "folds.json"
            if not folds_file.is_file():
                raise InputError(str(folds_file), "not found: a checkpoint folder must be a `taishan train association` run")
            for k, fold in enumerate(json.loads(folds_file.read_text())["folds"]):
                model = checkpoint / "folds" / str(k) / Path(fold["checkpoint"]).name
                self.fold_checkpoints.update({name: model for name in fold["held_out"]})
        elif not checkpoint.is_file():
            raise InputError(str(checkpoint), "checkpoint not found")
        self.checkpoint = checkpoint

    def __str__(self) -> str:
        cost = self.config.cost
        weight = f" w={cost.learned_weight}" if cost.mode == "blend" else ""
        return f"learned ({cost.mode}{weight}, checkpoint {self.checkpoint})"

    def checkpoint_for(self, sequence: str) -> Path:
        if not self.fold_checkpoints:
            return self.checkpoint
        if sequence not in self.fold_checkpoints:
            raise InputError(str(self.checkpoint / "folds.json"), f"sequence {sequence} is in no fold: was the run trained on this folder?")
        return self.fold_checkpoints[sequence]

    def __call__(self, sequence: str, cls: str) -> TrackerBuilder:
        return partial(learned_tracker, config=self.config, checkpoint=self.checkpoint_for(sequence))
