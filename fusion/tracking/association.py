"""Data association: coarse spatial gate, class gate, chi-square gate, optional geometric gate, a
pluggable pair cost, and assignment (global nearest neighbour or greedy).

Nothing here is O(tracks x detections) in Python: the pairs within a radius are found at once (all
distances for small sets, a scipy k-d tree for large ones), every later gate and cost works on that
sparse list of pairs, and the global
assignment is scipy's sparse minimum-weight full bipartite matching on the pairs plus one "stay
unassigned" edge per track and per detection.

A cost is any callable `cost(pairs: Candidates) -> np.ndarray` with an `unassigned_cost` attribute
(the AssociationCost protocol): a pair is only assigned when its cost is below that. A learned cost
plugs in by implementing it (see MultiObjectTracker's `costs` argument).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from scipy.stats import chi2

from fusion.core.classes import NUM_CLASSES, ObjectClass
from fusion.core.compiled import compiled
from fusion.tracking.config import AssociationConfig, SensorTracking
from fusion.tracking.geometry import GEOMETRIC_MEASURES, near_pairs
from fusion.tracking.kernels import mahalanobis2  # noqa: F401  (the gate's distance, part of this module's API)

_DENSE_LIMIT = 40_000  # tracks x detections below which a dense assignment is faster than the sparse one


@dataclass
class Candidates:
    """Candidate (track, detection) pairs, one per row, with what a cost may use."""

    sensor_kind: str
    tracks: np.ndarray               # (K,) track rows
    detections: np.ndarray           # (K,) detection rows
    residual: np.ndarray             # (K, m) wrapped innovation z - h(x)
    S: np.ndarray                    # (K, m, m) innovation covariance
    mahalanobis2: np.ndarray         # (K,)
    track_classes: np.ndarray        # (K,) most probable class of the track
    detection_classes: np.ndarray    # (K,)
    detection_scores: np.ndarray     # (K,)
    geometric: np.ndarray | None     # (K,) the sensor's geometric measure (IoU, GIoU, distance), if any

    def __len__(self) -> int:
        return len(self.tracks)

    def select(self, keep: np.ndarray) -> Candidates:
        return Candidates(self.sensor_kind, self.tracks[keep], self.detections[keep], self.residual[keep], self.S[keep],
                          self.mahalanobis2[keep], self.track_classes[keep], self.detection_classes[keep],
                          self.detection_scores[keep], None if self.geometric is None else self.geometric[keep])


class AssociationCost(Protocol):
    """Cost of candidate pairs (lower is better); pairs costing `unassigned_cost` or more stay unassigned."""

    unassigned_cost: float

    def __call__(self, pairs: Candidates) -> np.ndarray: ...


class MahalanobisCost:
    """Squared Mahalanobis distance of the innovation; unassigned at the chi-square gate."""

    def __init__(self, gate: float):
        self.unassigned_cost = gate

    def __call__(self, pairs: Candidates) -> np.ndarray:
        return pairs.mahalanobis2


class GeometricCost:
    """1 - IoU / 1 - GIoU (similarities) or the centre distance, unassigned at the configured threshold."""

    def __init__(self, higher_is_closer: bool, threshold: float):
        self.higher_is_closer = higher_is_closer
        self.unassigned_cost = 1.0 - threshold if higher_is_closer else threshold

    def __call__(self, pairs: Candidates) -> np.ndarray:
        return 1.0 - pairs.geometric if self.higher_is_closer else pairs.geometric


def chi_square_gate(probability: float, dof: int) -> float:
    """Squared-Mahalanobis gate holding `probability` of a correct measurement (1.0: a huge gate)."""
    return float(chi2.ppf(min(probability, 1.0 - 1e-12), dof))


def default_cost(settings: SensorTracking, gate: float) -> AssociationCost:
    if settings.cost == "geometric":
        return GeometricCost(GEOMETRIC_MEASURES[settings.geometric][1], settings.geometric_threshold)
    return MahalanobisCost(gate)


def class_compatibility(config: AssociationConfig) -> np.ndarray:
    """(C, C) boolean: may a detection of class [row] update a track of class [column]."""
    ok = np.eye(NUM_CLASSES, dtype=bool)
    for names in config.class_groups.values():
        members = [int(ObjectClass.parse(n)) for n in names]
        ok[np.ix_(members, members)] = True
    if config.unknown_matches_any:
        ok[int(ObjectClass.UNKNOWN), :] = ok[:, int(ObjectClass.UNKNOWN)] = True
    return ok


def coarse_pairs(track_points: np.ndarray, detection_points: np.ndarray, radius: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(track, detection) index pairs closer than `radius` (one value, or one per track) in the coarse
    gate's coordinates."""
    if len(track_points) == 0 or len(detection_points) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    per_track = isinstance(radius, np.ndarray) and radius.ndim > 0
    tracks, detections, distance = near_pairs(track_points, detection_points, float(radius.max() if per_track else radius))
    if per_track:
        keep = distance <= radius[tracks]
        tracks, detections = tracks[keep], detections[keep]
    return tracks, detections


def planar_gate_radius(S0: np.ndarray, R: np.ndarray, gate: float) -> np.ndarray:
    """Per track, the largest distance in the first two measurement components that can still pass
    the chi-square gate: sqrt(gate * lambda_max), with lambda_max bounding the largest eigenvalue of
    the 2x2 block of S0 + R over all detections (a marginal Mahalanobis distance never exceeds the
    full one, so this coarse gate loses nothing)."""
    def largest_eigenvalue(M: np.ndarray) -> np.ndarray:
        a, b, c = M[..., 0, 0], M[..., 0, 1], M[..., 1, 1]
        return 0.5 * (a + c) + np.sqrt(0.25 * (a - c) ** 2 + b**2)

    bound = largest_eigenvalue(S0) + (largest_eigenvalue(R).max() if len(R) else 0.0)
    return np.sqrt(gate * bound)


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_inverse=True) of an index array (the same arrays), compiled: numpy's
    sorting machinery costs more than the few dozen indices of one tracking cycle."""
    return _unique_inverse(np.ascontiguousarray(values, dtype=np.int64))


@compiled
def _unique_inverse(values):
    order = np.argsort(values, kind="mergesort")
    unique = np.empty(len(values), dtype=np.int64)
    inverse = np.empty(len(values), dtype=np.int64)
    count = 0
    for k in order:
        if count == 0 or values[k] != unique[count - 1]:
            unique[count] = values[k]
            count += 1
        inverse[k] = count - 1
    return unique[:count], inverse


@compiled
def compatible_pairs(tracks: np.ndarray, detections: np.ndarray, class_probabilities: np.ndarray,
                     detection_classes: np.ndarray, compatible: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs (track rows, detection rows) whose detection class may update the track's class
    (its most probable one: compatible[detection class, track class], see class_compatibility), with
    those classes."""
    k = len(tracks)
    keep = np.empty(k, dtype=np.int64)
    track_classes = np.empty(k, dtype=np.int64)
    count = 0
    for p in range(k):
        track_class = np.argmax(class_probabilities[tracks[p]])
        if compatible[detection_classes[detections[p]], track_class]:
            keep[count], track_classes[count] = p, track_class
            count += 1
    keep = keep[:count]
    d = detections[keep]
    return tracks[keep], d, track_classes[:count], detection_classes[d]


# load at import (fusion.core.compiled)
_unique_inverse(np.zeros(1, dtype=np.int64))
compatible_pairs(np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), np.ones((1, 1)), np.zeros(1, dtype=np.int64),
                 np.ones((1, 1), dtype=np.bool_))


def assign(pairs_tracks: np.ndarray, pairs_detections: np.ndarray, costs: np.ndarray, unassigned_cost: float,
           method: str) -> tuple[np.ndarray, np.ndarray]:
    """Matched (track rows, detection rows) among candidate pairs whose cost is below unassigned_cost,
    minimising the total cost (gnn) or taking the cheapest pairs first (greedy)."""
    keep = costs < unassigned_cost
    t, d, c = pairs_tracks[keep], pairs_detections[keep], costs[keep]
    if len(t) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if method == "greedy":
        return _greedy(t, d, c)
    return _global_nearest_neighbour(t, d, c, unassigned_cost)


def _greedy(t: np.ndarray, d: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    used_t: set[int] = set()
    used_d: set[int] = set()
    out_t, out_d = [], []
    for k in np.argsort(c, kind="stable"):
        ti, di = int(t[k]), int(d[k])
        if ti not in used_t and di not in used_d:
            used_t.add(ti)
            used_d.add(di)
            out_t.append(ti)
            out_d.append(di)
    return np.array(out_t, dtype=np.int64), np.array(out_d, dtype=np.int64)


def _global_nearest_neighbour(t: np.ndarray, d: np.ndarray, c: np.ndarray, unassigned_cost: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimum total cost, where leaving a track or a detection unassigned costs u/2 each.

    Small problems: scipy's linear_sum_assignment on the dense (tracks x detections) matrix with
    non-pairs at u (taking such an entry is the same as leaving both unassigned). Large ones: a full
    matching of (tracks + dummy rows) x (detections + dummy columns) with scipy's sparse
    min_weight_full_bipartite_matching: track i may take its own dummy column (u/2), detection j its
    own dummy row (u/2), and j's dummy row the dummy column of any track j could pair with (0), so
    every partial assignment completes to a full matching. Weights are shifted by +1 (a constant over
    full matchings) to keep them strictly positive."""
    tracks, ti = unique_inverse(t)
    dets, di = unique_inverse(d)
    n, m = len(tracks), len(dets)
    if n == m == len(t):          # no track or detection in two pairs: every pair is its own best match
        return tracks, d[np.argsort(ti)]
    if n * m <= _DENSE_LIMIT:
        dense = np.full((n, m), unassigned_cost)
        dense[ti, di] = c
        rows, cols = linear_sum_assignment(dense)
        real = dense[rows, cols] < unassigned_cost
        return tracks[rows[real]], dets[cols[real]]
    half = 0.5 * unassigned_cost
    rows = np.concatenate([ti, np.arange(n), n + di, n + np.arange(m)])
    cols = np.concatenate([di, m + np.arange(n), m + ti, np.arange(m)])
    weights = 1.0 + np.concatenate([c, np.full(n, half), np.zeros(len(c)), np.full(m, half)])
    graph = csr_array((weights, (rows, cols)), shape=(n + m, m + n))
    rows_matched, cols_matched = min_weight_full_bipartite_matching(graph)
    match = np.empty(n + m, dtype=np.int64)
    match[rows_matched] = cols_matched
    match = match[:n]
    real = match < m
    return tracks[real], dets[match[real]]
