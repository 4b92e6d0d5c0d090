"""Tracking metrics on simulated data: TrackEval's HOTA, CLEAR (MOTA, IDSW) and Identity (IDF1) fed with a
bird's-eye-view centre-distance similarity, plus position / velocity RMSE of matched tracks.

Similarity of a truth object and a track: max(0, 1 - d / max_distance_m), d = ground-plane distance
of their centres. CLEAR matches at similarity >= 0.5 (d <= max_distance_m / 2), HOTA averages over
its similarity thresholds 0.05 ... 0.95. Truth objects no sensor could detect (TruthFrame.visible
false) are not counted; tracks on them are removed before scoring (as KITTI's DontCare areas), so a
tracker is neither rewarded nor punished for objects it could not see.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy.optimize import linear_sum_assignment
from trackeval.metrics import CLEAR, HOTA, Identity

from fusion.core.objects import ObjectList


class Truth(Protocol):
    """Truth at one stamp, as datasets.simulation.TruthFrame holds it: track_ids (N,), centers (N, 3),
    velocities (N, 3), visible (N,)."""

    track_ids: np.ndarray
    centers: np.ndarray
    velocities: np.ndarray
    visible: np.ndarray


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a[:, None, :2] - b[None, :, :2], axis=-1)


def _match(distance: np.ndarray, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-distance one-to-one pairs with distance <= limit."""
    if distance.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    cost = np.where(distance <= limit, distance, 1e9)
    rows, cols = linear_sum_assignment(cost)
    ok = cost[rows, cols] <= limit
    return rows[ok], cols[ok]


@dataclass
class SequenceData:
    """One sequence in TrackEval's per-sequence input format, plus the matched errors for RMSE."""

    data: dict[str, Any]
    position_errors: np.ndarray   # (K, 3) matched track - truth centre
    velocity_errors: np.ndarray   # (K, 3)


def build_sequence(truth: list[Truth], tracks: list[ObjectList], max_distance_m: float) -> SequenceData:
    """Pair truth and tracker output frame by frame (same stamps) into TrackEval's format."""
    if len(truth) != len(tracks):
        raise ValueError(f"{len(truth)} truth frames but {len(tracks)} object lists")
    gt_ids, tr_ids, sims = [], [], []
    pos_err, vel_err = [], []
    for frame, objects in zip(truth, tracks):
        vis = frame.visible.astype(bool)
        # tracks on objects nobody could see are removed, not counted as false positives
        dist_all = _distances(objects.position, frame.centers)
        t_rows, g_cols = _match(dist_all, 0.5 * max_distance_m)
        on_hidden = t_rows[~vis[g_cols]]
        keep = np.ones(len(objects), dtype=bool)
        keep[on_hidden] = False
        pos, vel, ids = objects.position[keep], objects.velocity[keep], objects.track_ids[keep]
        centers, velocities = frame.centers[vis], frame.velocities[vis]
        distance = _distances(centers, pos)
        sims.append(np.clip(1.0 - distance / max_distance_m, 0.0, None))
        gt_ids.append(frame.track_ids[vis])
        tr_ids.append(ids)
        g, t = _match(distance, 0.5 * max_distance_m)
        pos_err.append(pos[t] - centers[g])
        vel_err.append(vel[t] - velocities[g])
    gt_unique = np.unique(np.concatenate(gt_ids)) if gt_ids else np.zeros(0)
    tr_unique = np.unique(np.concatenate(tr_ids)) if tr_ids else np.zeros(0)
    data = {
        "num_timesteps": len(truth),
        "num_gt_ids": len(gt_unique), "num_tracker_ids": len(tr_unique),
        "num_gt_dets": int(sum(len(g) for g in gt_ids)), "num_tracker_dets": int(sum(len(t) for t in tr_ids)),
        "gt_ids": [np.searchsorted(gt_unique, g) for g in gt_ids],
        "tracker_ids": [np.searchsorted(tr_unique, t) for t in tr_ids],
        "similarity_scores": sims,
    }
    return SequenceData(data, np.concatenate(pos_err) if pos_err else np.zeros((0, 3)),
                        np.concatenate(vel_err) if vel_err else np.zeros((0, 3)))


def score(sequences: dict[str, SequenceData]) -> dict[str, float]:
    """HOTA, DetA, AssA, MOTA, MOTP, IDSW, IDF1 over all sequences (TrackEval's combination), and the
    RMSE of matched tracks' ground-plane position and velocity."""
    quiet = {"PRINT_CONFIG": False}
    hota, clear, identity = HOTA(), CLEAR(quiet), Identity(quiet)
    per_seq = {name: (hota.eval_sequence(s.data), clear.eval_sequence(s.data), identity.eval_sequence(s.data))
               for name, s in sequences.items()}
    h = hota.combine_sequences({k: v[0] for k, v in per_seq.items()})
    c = clear.combine_sequences({k: v[1] for k, v in per_seq.items()})
    i = identity.combine_sequences({k: v[2] for k, v in per_seq.items()})
    pos = np.concatenate([s.position_errors for s in sequences.values()])
    vel = np.concatenate([s.velocity_errors for s in sequences.values()])
    rmse = lambda e: float(np.sqrt(np.mean(np.sum(e[:, :2] ** 2, axis=1)))) if len(e) else float("nan")  # noqa: E731
    return {
        "HOTA": float(np.mean(h["HOTA"])), "DetA": float(np.mean(h["DetA"])), "AssA": float(np.mean(h["AssA"])),
        "MOTA": float(c["MOTA"]), "MOTP": float(c["MOTP"]), "IDSW": int(c["IDSW"]), "IDF1": float(i["IDF1"]),
        "position_rmse_m": rmse(pos), "velocity_rmse_mps": rmse(vel), "matched": int(len(pos)),
    }
