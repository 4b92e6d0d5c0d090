"""The TrackEval adapter: perfect tracks score 1, an identity switch is counted, unseen objects are
neither rewarded nor punished, RMSE is of matched tracks."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from datasets.evaluation.metrics import build_sequence, score
from fusion.core.objects import ObjectList


@dataclass
class Truth:
    stamp_ns: int
    track_ids: np.ndarray
    centers: np.ndarray
    velocities: np.ndarray
    visible: np.ndarray


def _objects(stamp, ids, positions, velocities=None):
    n = len(ids)
    return ObjectList(stamp, "map", track_ids=np.array(ids), classes=np.ones(n, np.int64),
                      class_probabilities=np.zeros((n, 8)), position=np.array(positions, float).reshape(n, 3),
                      velocity=np.zeros((n, 3)) if velocities is None else np.array(velocities, float),
                      acceleration=np.zeros((n, 3)), yaw=np.zeros(n), yaw_rate=np.zeros(n),
                      pose_covariance=np.zeros((n, 4, 4)), twist_covariance=np.zeros((n, 4, 4)), size=np.ones((n, 3)),
                      existence_probability=np.ones(n), age_s=np.ones(n), status=np.ones(n, np.int64),
                      sensor_mask=np.ones(n, np.int64))


def _truth(frames=10):
    out = []
    for k in range(frames):
        centers = np.array([[k * 1.0, 0.0, 0.0], [k * 1.0, 10.0, 0.0], [50.0, 50.0, 0.0]])
        out.append(Truth(k, np.array([7, 8, 9]), centers, np.tile([10.0, 0.0, 0.0], (3, 1)), np.array([True, True, False])))
    return out


def test_perfect_tracking_scores_one():
    truth = _truth()
    tracks = [_objects(t.stamp_ns, [1, 2], t.centers[:2], t.velocities[:2]) for t in truth]
    m = score({"s": build_sequence(truth, tracks, 4.0)})
    assert m["HOTA"] == pytest.approx(1.0) and m["MOTA"] == 1.0 and m["IDSW"] == 0 and m["IDF1"] == 1.0
    assert m["position_rmse_m"] == 0.0 and m["velocity_rmse_mps"] == 0.0 and m["matched"] == 20


def test_identity_switch_offsets_and_hidden_objects():
    truth = _truth()
    tracks = []
    for t in truth:
        ids = [1, 2] if t.stamp_ns < 5 else [3, 2]                 # object 7 changes id half-way
        positions = t.centers[[0, 1, 2]] + [[0.3, 0.4, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]   # + a track on the hidden one
        tracks.append(_objects(t.stamp_ns, ids + [4], positions, np.tile([10.0, 1.0, 0.0], (3, 1))))
    m = score({"s": build_sequence(truth, tracks, 4.0)})
    assert m["IDSW"] == 1 and m["MOTA"] == pytest.approx(1.0 - 1 / 20)   # the hidden object's track is not an FP
    assert m["position_rmse_m"] == pytest.approx(np.sqrt(0.25 / 2)) and m["velocity_rmse_mps"] == pytest.approx(1.0)
    assert 0.5 < m["HOTA"] < 1.0


def test_missed_and_false_tracks_lower_detection():
    truth = _truth()
    tracks = [_objects(t.stamp_ns, [1, 5], [t.centers[0], [30.0, -30.0, 0.0]]) for t in truth]
    m = score({"s": build_sequence(truth, tracks, 4.0)})
    assert m["MOTA"] == pytest.approx(1.0 - (10 + 10) / 20) and m["DetA"] < 0.5
