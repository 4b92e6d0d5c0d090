"""Features of candidate (track, detection) pairs for the learned association cost.

From the tracker's Candidates (lidar boxes: innovation x, y, z, yaw and its covariance S): the
innovation, its whitened form, the squared Mahalanobis distance, log det S; how the pair ranks among
the other candidates of its track and of its detection; the detection's score and class. From the
track (the tracker's track table and filter state): age, time since the last hit, misses, recent
hit fraction, existence probability, confirmed or not, speed, velocity and position uncertainty and
the smoothed box size.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.objects import TrackStatus

if TYPE_CHECKING:
    from fusion.tracking.association import Candidates
    from fusion.tracking.tracker import MultiObjectTracker

RESIDUAL_DIM = 4   # lidar box innovation: x, y, z, yaw
CLASSES = (ObjectClass.CAR, ObjectClass.PEDESTRIAN, ObjectClass.BICYCLE)
TRACK_FEATURES = ("log_age_s", "log_since_hit_s", "misses", "hit_fraction", "existence", "confirmed", "speed_mps",
                  "log_velocity_std", "log_position_std", "length_m", "width_m", "height_m")
PAIR_FEATURES = ("dx_m", "dy_m", "dz_m", "distance_m", "sin_dyaw", "cos_dyaw", "white_x", "white_y", "white_z", "white_yaw",
                 "mahalanobis2_per_dof", "log1p_mahalanobis2", "log_det_S", "d2_over_track_best", "d2_over_detection_best",
                 "log_track_candidates", "log_detection_candidates", "best_for_track", "best_for_detection",
                 "detection_score") + tuple(f"detection_{c.name.lower()}" for c in CLASSES)
FEATURE_NAMES = PAIR_FEATURES + TRACK_FEATURES


def track_features(tracker: MultiObjectTracker) -> np.ndarray:
    """(N, len(TRACK_FEATURES)) for every track row of the tracker, at its current time."""
    tracks = tracker.tracks
    x, P = tracker.engine.estimate()
    _, velocity = tracker.motion.position_velocity(x)
    jp, jv = (np.broadcast_to(j, (len(x),) + j.shape[-2:]) for j in tracker.motion.position_velocity_jacobian(x))
    position_var = np.einsum("nij,njk,nik->n", jp[:, :2], P, jp[:, :2])
    velocity_var = np.einsum("nij,njk,nik->n", jv[:, :2], P, jv[:, :2])
    now = tracker.time_ns if tracker.time_ns is not None else 0
    window = tracker.config.management.confirm_window
    hits = ((tracks.history[:, None] >> np.arange(32, dtype=np.uint32)) & 1).sum(axis=1)
    return np.column_stack([
        np.log1p((now - tracks.created_ns) * 1e-9), np.log1p(np.maximum(now - tracks.last_hit_ns, 0) * 1e-9),
        np.minimum(tracks.misses, 10) / 10.0, hits / window, tracks.existence,
        tracks.status == int(TrackStatus.CONFIRMED), np.linalg.norm(velocity[:, :2], axis=1),
        0.5 * np.log(np.maximum(velocity_var, 1e-6)), 0.5 * np.log(np.maximum(position_var, 1e-6)), tracks.size,
    ])


def _rank_context(key: np.ndarray, d2: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: d2 minus the smallest d2 among the pairs sharing its key, and that key's pair count."""
    best = np.full(n_keys, np.inf)
    np.minimum.at(best, key, d2)
    return d2 - best[key], np.bincount(key, minlength=n_keys)[key]


def pair_features(pairs: Candidates, tracks: np.ndarray) -> np.ndarray:
    """(K, len(FEATURE_NAMES)) float32 features of the candidate pairs; `tracks` is track_features()."""
    if pairs.sensor_kind != "lidar" or pairs.residual.shape[1:] != (RESIDUAL_DIM,):
        raise InputError("learned association", f"scores lidar box pairs (innovation of {RESIDUAL_DIM}), got "
                                                f"{pairs.sensor_kind} pairs with innovation shape {pairs.residual.shape[1:]}")
    k = len(pairs)
    if k == 0:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    r = pairs.residual
    chol = np.linalg.cholesky(pairs.S)
    white = np.linalg.solve(chol, r[..., None])[..., 0]
    log_det = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    d2 = pairs.mahalanobis2
    n, m = int(pairs.tracks.max()) + 1, int(pairs.detections.max()) + 1
    over_track, per_track = _rank_context(pairs.tracks, d2, n)
    over_detection, per_detection = _rank_context(pairs.detections, d2, m)
    classes = np.column_stack([pairs.detection_classes == int(c) for c in CLASSES])
    features = np.column_stack([
        r[:, :3], np.linalg.norm(r[:, :2], axis=1), np.sin(r[:, 3]), np.cos(r[:, 3]), white,
        d2 / RESIDUAL_DIM, np.log1p(d2), log_det, over_track, over_detection, np.log(per_track), np.log(per_detection),
        over_track == 0, over_detection == 0, pairs.detection_scores, classes, tracks[pairs.tracks],
    ])
    return features.astype(np.float32)
