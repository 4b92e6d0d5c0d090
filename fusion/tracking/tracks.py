"""Track bookkeeping as a struct of arrays, and the life-cycle rules of ManagementConfig.

The kinematic state lives in the filter engine; this table holds, row for row, everything else: ids,
class probabilities, existence probability, status, hit history (M of N), misses, stamps, the
smoothed box size and which sensors contributed. The per-track rules run every cycle on a few dozen
rows, so they are compiled loops (fusion.core.compiled) that update the table in place.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from fusion.core.classes import NUM_CLASSES
from fusion.core.compiled import compiled
from fusion.core.objects import TrackStatus
from fusion.tracking.config import ManagementConfig
from fusion.tracking.geometry import near_pairs, pairwise_iou_3d

_TENTATIVE, _CONFIRMED, _COASTING = int(TrackStatus.TENTATIVE), int(TrackStatus.CONFIRMED), int(TrackStatus.COASTING)
# Why a track is deleted, in the order a track is counted under (the first that applies).
EXPIRY_REASONS = ("tentative_lost", "coasted_out", "low_existence", "uncertain", "duplicate")


@dataclass
class TrackTable:
    ids: np.ndarray            # (N,) int64, unique and never reused
    class_probs: np.ndarray    # (N, C)
    existence: np.ndarray      # (N,)
    status: np.ndarray         # (N,) TrackStatus values
    history: np.ndarray        # (N,) uint32: bit k = hit k sensor updates ago (updates that could see the track)
    misses: np.ndarray         # (N,) consecutive misses
    created_ns: np.ndarray     # (N,) int64
    last_hit_ns: np.ndarray    # (N,) int64
    size: np.ndarray           # (N, 3) smoothed l, w, h
    size_var: np.ndarray       # (N, 3)
    sensor_mask: np.ndarray    # (N,) int64, bit i = sensor i contributed

    @classmethod
    def empty(cls) -> TrackTable:
        return cls(np.zeros(0, np.int64), np.zeros((0, NUM_CLASSES)), np.zeros(0), np.zeros(0, np.int64),
                   np.zeros(0, np.uint32), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                   np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def keep(self, mask: np.ndarray) -> None:
        for name in _COLUMNS:
            setattr(self, name, getattr(self, name)[mask])

    def append(self, other: TrackTable) -> None:
        for name in _COLUMNS:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))

    @property
    def classes(self) -> np.ndarray:
        return np.argmax(self.class_probs, axis=1)


_COLUMNS = tuple(f.name for f in fields(TrackTable))


def class_likelihood(classes: np.ndarray, confidence: float) -> np.ndarray:
    """(K, C) likelihood of each true class given detected classes: `confidence` for the detected class,
    the rest spread evenly."""
    lik = np.full((len(classes), NUM_CLASSES), (1.0 - confidence) / (NUM_CLASSES - 1))
    lik[np.arange(len(classes)), classes] = confidence
    return lik


class TrackLifecycle:
    """The rules of fusion.tracking.config.ManagementConfig, applied to a TrackTable."""

    def __init__(self, config: ManagementConfig):
        self.config = config
        self.window_mask = np.uint32((1 << config.confirm_window) - 1)
        self.checks_overlaps = config.duplicate_iou < 1.0   # duplicate tracks, and detections inside tracks

    def new(self, ids: np.ndarray, classes: np.ndarray, class_known: np.ndarray, confidence: float, sizes: np.ndarray,
            size_var: np.ndarray, sensor_bit: int, stamp_ns: int) -> TrackTable:
        k = len(ids)
        probs = np.where(class_known[:, None], class_likelihood(classes, confidence), 1.0 / NUM_CLASSES)
        return TrackTable(
            ids=ids, class_probs=probs / probs.sum(axis=1, keepdims=True),
            existence=np.full(k, self.config.existence_initial), status=np.full(k, _TENTATIVE),
            history=np.ones(k, np.uint32), misses=np.zeros(k, np.int64), created_ns=np.full(k, stamp_ns, np.int64),
            last_hit_ns=np.full(k, stamp_ns, np.int64), size=sizes.astype(float), size_var=size_var.astype(float),
            sensor_mask=np.full(k, 1 << sensor_bit, np.int64),
        )

    def predict(self, table: TrackTable, dt: float) -> None:
        table.existence = table.existence * self.config.existence_survival_per_s**dt
        table.size_var = table.size_var + self.config.size_psd * dt

    def observe(self, table: TrackTable, visible: np.ndarray, hits: np.ndarray, detection_probability: float,
                hit_likelihood_ratio: float, sensor_bit: int, stamp_ns: int) -> None:
        """One sensor update: tracks it could see (visible) and the rows it detected (hits)."""
        _observe(table.history, table.misses, table.existence, table.last_hit_ns, table.sensor_mask, visible,
                 np.asarray(hits, dtype=np.int64), detection_probability, hit_likelihood_ratio, np.int64(1) << sensor_bit,
                 stamp_ns, self.window_mask)

    def fuse_classes(self, table: TrackTable, rows: np.ndarray, classes: np.ndarray, class_known: np.ndarray,
                     confidence: float) -> None:
        """Bayes update of the class probabilities of `rows` by their detections' classes (those known),
        then forgetting towards uniform."""
        _fuse_classes(table.class_probs, rows, np.asarray(classes, dtype=np.int64), class_known, confidence,
                      self.config.class_forgetting)

    def fuse_sizes(self, table: TrackTable, rows: np.ndarray, sizes: np.ndarray, size_var: np.ndarray) -> None:
        """Scalar Kalman update per box dimension."""
        size, var = table.size[rows], table.size_var[rows]
        gain = var / (var + size_var)
        table.size[rows] = size + gain * (sizes - size)
        table.size_var[rows] = var * (1.0 - gain)

    def update_status(self, table: TrackTable) -> None:
        _update_status(table.status, table.history, table.misses, self.config.confirm_hits)

    def expired(self, table: TrackTable, stamp_ns: int, position_std: np.ndarray,
                boxes: np.ndarray | None = None) -> np.ndarray:
        """Per track, the index in EXPIRY_REASONS of the first reason to delete it, or -1 to keep it;
        duplicates are looked for when boxes (N, 7) x y z l w h yaw are given."""
        c = self.config
        reason = _expiry(table.status, table.misses, table.created_ns, table.last_hit_ns, table.existence, position_std,
                         stamp_ns, c.tentative_max_misses, c.tentative_max_age_s, c.max_coast_s, c.existence_delete,
                         c.max_position_std_m)
        if boxes is not None:
            reason[(reason < 0) & self.duplicates(table, boxes)] = EXPIRY_REASONS.index("duplicate")
        return reason

    def _overlaps(self, a: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs (i in a, j in b, or j in a with i < j when b is None) whose 3D IoU exceeds duplicate_iou,
        with that IoU. The exact IoU is computed only where a cheap upper bound passes (see
        _possible_overlaps)."""
        other = a if b is None else b
        empty = np.zeros(0, dtype=np.int64)
        if len(a) == 0 or len(other) == 0 or not self.checks_overlaps:
            return empty, empty, np.zeros(0)
        a, other = np.ascontiguousarray(a, dtype=float), np.ascontiguousarray(other, dtype=float)
        reach = _largest_half_diagonal(a) + _largest_half_diagonal(other)
        i, j, distance = near_pairs(a[:, :2], None if b is None else other[:, :2], reach)
        possible = _possible_overlaps(a, other, i, j, distance, self.config.duplicate_iou)
        if not np.count_nonzero(possible):
            return empty, empty, np.zeros(0)
        i, j = i[possible], j[possible]
        iou = pairwise_iou_3d(a[i], other[j])
        keep = iou > self.config.duplicate_iou
        return i[keep], j[keep], iou[keep]

    def duplicates(self, table: TrackTable, boxes: np.ndarray) -> np.ndarray:
        """Of every two tracks whose boxes overlap by more than duplicate_iou (two tracks of one object:
        real objects cannot share space), the younger."""
        i, j, _ = self._overlaps(boxes, None)
        drop = np.zeros(len(boxes), dtype=bool)
        drop[np.where(table.created_ns[i] > table.created_ns[j], i, j)] = True
        return drop

    def overlapped_tracks(self, candidates: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """For each candidate box (K, 7), the track (row of boxes (N, 7)) it overlaps most if by more than
        duplicate_iou (3D IoU), else -1. Two real objects cannot share space: such a detection belongs to
        that track (which failed to gate it) and must not start a second one."""
        owner = np.full(len(candidates), -1, dtype=np.int64)
        i, j, iou = self._overlaps(candidates, boxes)
        order = np.argsort(iou)                      # the largest overlap is written last
        owner[i[order]] = j[order]
        return owner


@compiled
def _observe(history, misses, existence, last_hit_ns, sensor_mask, visible, hits, pd, likelihood_ratio, bit, stamp_ns,
             window_mask):
    hit = np.zeros(len(history), dtype=np.bool_)
    for row in hits:
        hit[row] = True
    for k in range(len(history)):
        p = existence[k]
        if hit[k]:
            history[k] = ((history[k] << np.uint32(1)) | np.uint32(1)) & window_mask
            misses[k] = 0
            existence[k] = likelihood_ratio * p / (likelihood_ratio * p + 1.0 - p)
            last_hit_ns[k] = stamp_ns
            sensor_mask[k] |= bit
        elif visible[k]:
            history[k] = (history[k] << np.uint32(1)) & window_mask
            misses[k] += 1
            existence[k] = p * (1.0 - pd) / max(1.0 - p * pd, 1e-12)


@compiled
def _fuse_classes(class_probs, rows, classes, class_known, confidence, forgetting):
    """In place: the Bayes update with class_likelihood(classes, confidence), then forgetting."""
    c = class_probs.shape[1]
    posterior = np.empty(c)
    other = (1.0 - confidence) / (c - 1)
    for i in range(len(rows)):
        if not class_known[i]:
            continue
        row = rows[i]
        total = 0.0
        for j in range(c):
            posterior[j] = class_probs[row, j] * (confidence if j == classes[i] else other)
            total += posterior[j]
        for j in range(c):
            class_probs[row, j] = (1.0 - forgetting) * (posterior[j] / total) + forgetting / c


@compiled
def _update_status(status, history, misses, confirm_hits):
    for k in range(len(status)):
        if status[k] == _TENTATIVE:
            hits, h = 0, history[k]
            while h:
                hits += 1
                h &= h - np.uint32(1)
            if hits < confirm_hits:
                continue
        status[k] = _COASTING if misses[k] > 0 else _CONFIRMED


@compiled
def _expiry(status, misses, created_ns, last_hit_ns, existence, position_std, stamp_ns, tentative_max_misses,
            tentative_max_age_s, max_coast_s, existence_delete, max_position_std_m):
    reason = np.full(len(status), -1, dtype=np.int64)
    for k in range(len(status)):
        tentative = status[k] == _TENTATIVE
        if tentative and (misses[k] >= tentative_max_misses or (stamp_ns - created_ns[k]) / 1e9 > tentative_max_age_s):
            reason[k] = 0
        elif not tentative and (stamp_ns - last_hit_ns[k]) / 1e9 > max_coast_s:
            reason[k] = 1
        elif existence[k] < existence_delete:
            reason[k] = 2
        elif position_std[k] > max_position_std_m:
            reason[k] = 3
    return reason


@compiled
def lens_area(d: float, r1: float, r2: float) -> float:
    """Area of the intersection of two discs with radii r1, r2 whose centres are d apart."""
    if d >= r1 + r2:
        return 0.0
    small, large = min(r1, r2), max(r1, r2)
    if d <= large - small:
        return np.pi * small**2
    dd = max(d, 1e-12)
    c1 = min(max((dd**2 + r1**2 - r2**2) / (2 * dd * r1), -1.0), 1.0)
    c2 = min(max((dd**2 + r2**2 - r1**2) / (2 * dd * r2), -1.0), 1.0)
    kite = np.sqrt(max((-dd + r1 + r2) * (dd + r1 - r2) * (dd - r1 + r2) * (dd + r1 + r2), 0.0))
    return r1**2 * np.arccos(c1) + r2**2 * np.arccos(c2) - 0.5 * kite


@compiled
def aabb_overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap area of the axis-aligned bounding boxes of the footprints of boxes a, b (x y z l w h yaw)."""
    ca, sa, cb, sb = abs(np.cos(a[6])), abs(np.sin(a[6])), abs(np.cos(b[6])), abs(np.sin(b[6]))
    ax, ay = 0.5 * (a[3] * ca + a[4] * sa), 0.5 * (a[3] * sa + a[4] * ca)     # half extents along x and y
    bx, by = 0.5 * (b[3] * cb + b[4] * sb), 0.5 * (b[3] * sb + b[4] * cb)
    span_x = min(a[0] + ax, b[0] + bx) - max(a[0] - ax, b[0] - bx)
    span_y = min(a[1] + ay, b[1] + by) - max(a[1] - ay, b[1] - by)
    return max(span_x, 0.0) * max(span_y, 0.0)


@compiled
def _half_diagonal(box):
    """The radius of the circle circumscribing the footprint of a box (x y z l w h yaw)."""
    return 0.5 * np.sqrt(box[3] ** 2 + box[4] ** 2)


@compiled
def _largest_half_diagonal(boxes):
    """The largest _half_diagonal of boxes (N >= 1, 7)."""
    largest = 0.0
    for k in range(len(boxes)):
        largest = max(largest, _half_diagonal(boxes[k]))
    return largest


@compiled
def _possible_overlaps(a, b, i, j, distance, iou):
    """Mask over the pairs (a[i[k]], b[j[k]]) of boxes d[k] apart whose 3D IoU may exceed `iou`: each
    footprint lies in its circumscribed circle and in its axis-aligned bounding box, so the
    footprints' intersection is at most the smaller of the circles' lens and the bounding boxes'
    overlap."""
    possible = np.zeros(len(i), dtype=np.bool_)
    for k in range(len(i)):
        p, q = a[i[k]], b[j[k]]
        overlap = min(lens_area(distance[k], _half_diagonal(p), _half_diagonal(q)), aabb_overlap(p, q)) * min(p[5], q[5])
        possible[k] = overlap > iou * (p[3] * p[4] * p[5] + q[3] * q[4] * q[5] - overlap)
    return possible


def _load() -> None:
    """Load the kernels at import (fusion.core.compiled)."""
    life, table = TrackLifecycle(ManagementConfig()), TrackTable.empty()
    table.append(life.new(np.zeros(1, np.int64), np.zeros(1, np.int64), np.ones(1, bool), 0.5, np.ones((1, 3)),
                          np.ones((1, 3)), 0, 0))
    rows = np.zeros(1, np.int64)
    life.observe(table, np.ones(1, bool), rows, 0.5, 2.0, 0, 0)
    life.fuse_classes(table, rows, rows, np.ones(1, bool), 0.5)
    life.update_status(table)
    life.expired(table, 0, np.ones(1), np.ones((1, 7)))
    life.overlapped_tracks(np.ones((1, 7)), np.ones((1, 7)))


_load()
