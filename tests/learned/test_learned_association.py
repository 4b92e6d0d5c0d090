"""Learned association: features of a real tracker's candidate pairs, the cost in the tracker
(learned and blended), bad input, ground-truth identities of KITTI boxes, ONNX export."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion.config.loader import config_dir, load_config, parse_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.classes import ObjectClass
from fusion.core.errors import ConfigError, InputError
from fusion.core.measurements import Boxes3D
from fusion.learned.association.config import AssociationConfig
from fusion.learned.association.cost import LearnedAssociationCost, negative_log_probability
from fusion.learned.association.features import FEATURE_NAMES, pair_features, track_features
from fusion.learned.association.model import build_association_model
from fusion.learned.onnx_export import check, export
from fusion.tracking.association import Candidates, chi_square_gate, mahalanobis2
from fusion.tracking.config import TrackerConfig
from fusion.tracking.tracker import MultiObjectTracker


def boxes(stamp_s: float, centers: np.ndarray, lidar_id: str, frame: str) -> Boxes3D:
    n = len(centers)
    return Boxes3D(int(stamp_s * 1e9), frame, lidar_id, centers=centers, sizes=np.tile([4.2, 1.8, 1.5], (n, 1)),
                   yaws=np.zeros(n), classes=np.full(n, int(ObjectClass.CAR)))


@pytest.fixture()
def tracked():
    """A tracker with the learned cost (untrained weights) on the lidar, after two sweeps of two cars."""
    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    lidar_id, lidar = next(iter(vehicle.sensors_of_kind("lidar").items()))
    config = AssociationConfig.model_validate({"model": {"hidden": [8]}})
    cost = LearnedAssociationCost(build_association_model(config), config, chi_square_gate(0.997, 4))
    tracker = MultiObjectTracker(TrackerConfig(frame_id=vehicle.vehicle.base_frame), vehicle, vehicle.transform_tree(),
                                 costs={"lidar": cost})
    cost.bind(tracker)
    cars = np.array([[10.0, 2.0, -1.0], [20.0, -3.0, -1.0]])
    tracker.step(boxes(1.0, cars, lidar_id, lidar.frame_id))
    tracker.step(boxes(1.1, cars + [1.0, 0.0, 0.0], lidar_id, lidar.frame_id))
    return tracker, cost


def candidates(n_tracks: int, n_dets: int, kind: str = "lidar", dim: int = 4) -> Candidates:
    rng = np.random.default_rng(1)
    t, d = np.repeat(np.arange(n_tracks), n_dets), np.tile(np.arange(n_dets), n_tracks)
    r = rng.normal(0, 0.5, (len(t), dim))
    S = np.broadcast_to(np.eye(dim) * 0.4, (len(t), dim, dim)).copy()
    c = np.full(len(t), int(ObjectClass.CAR))
    return Candidates(kind, t, d, r, S, mahalanobis2(r, S), c, c, np.ones(len(t)), None)


def test_features_of_tracker_pairs(tracked):
    tracker, cost = tracked
    tracks = track_features(tracker)
    assert tracks.shape == (len(tracker.tracks), 12) and np.all(np.isfinite(tracks))
    pairs = candidates(len(tracker.tracks), 3)
    features = pair_features(pairs, tracks)
    assert features.shape == (len(pairs), len(FEATURE_NAMES)) and features.dtype == np.float32
    white = features[:, FEATURE_NAMES.index("white_x")]
    np.testing.assert_allclose(white, pairs.residual[:, 0] / np.sqrt(0.4), rtol=1e-5)
    best = features[:, FEATURE_NAMES.index("best_for_track")].reshape(len(tracker.tracks), 3)
    assert np.all(best.sum(axis=1) == 1)
    assert pair_features(candidates(0, 0), tracks).shape == (0, len(FEATURE_NAMES))


def test_cost_modes_and_tracking(tracked):
    tracker, cost = tracked
    assert len(tracker.tracks) == 2, "each car kept one track through the learned association"
    pairs = candidates(2, 2)
    nll = negative_log_probability(np.log(cost.probabilities(pairs) / (1 - cost.probabilities(pairs))))
    np.testing.assert_allclose(cost(pairs), 0.5 * nll + 0.5 * pairs.mahalanobis2 / 2, rtol=1e-6)
    learned = LearnedAssociationCost(cost.model, cost.config.model_copy(update={"cost": cost.config.cost.model_copy(update={"mode": "learned"})}), 16.0)
    learned.bind(tracker)
    np.testing.assert_allclose(learned(pairs), nll, rtol=1e-6)
    assert learned.unassigned_cost == pytest.approx(-np.log(0.5))


def test_bad_input(tracked):
    tracker, cost = tracked
    with pytest.raises(InputError, match="scores lidar box pairs"):
        cost(candidates(2, 2, kind="radar", dim=3))
    unbound = LearnedAssociationCost(cost.model, cost.config, 16.0)
    with pytest.raises(InputError, match="not bound to a tracker"):
        unbound(candidates(2, 2))
    with pytest.raises(InputError, match=r"expected pair features of shape \(pairs, 35\)"):
        cost.model.check_input(torch.zeros(3, 7))
    with pytest.raises(ConfigError, match="model.features: this version computes"):
        parse_config({"model": {"features": ["dx_m"]}}, AssociationConfig, "learned_association.yaml")


def test_onnx_matches_torch(tmp_path):
    model = build_association_model(AssociationConfig.model_validate({"model": {"hidden": [16, 16]}})).eval()
    inputs = torch.randn(40, len(FEATURE_NAMES), generator=torch.Generator().manual_seed(0))
    result = check(model, export(model, inputs[:1], tmp_path / "a.onnx", "pair_features", "match_logit"), inputs, 1e-5)
    assert result.ok, result.max_abs_difference


def test_kitti_boxes_get_label_identities_and_pairs(shared_data):
    from datasets.kitti.config import load_kitti_config
    from datasets.kitti.layout import KittiLayout
    from datasets.kitti.sequence import load_sequence
    from fusion.learned.association.kitti import class_labels, record_pairs, truth_ids

    layout = KittiLayout(shared_data / "kitti-tracking" / "train")
    entry = layout.sequences()[0]
    sequence = load_sequence(layout, entry, ["Car"], False)
    labels = class_labels(layout, sequence, "Car")
    slices = labels.frame_slices(sequence.n_frames)
    matched = 0
    for frame in range(sequence.n_frames):
        ids = truth_ids(labels, sequence.lidar_boxes(frame, int(ObjectClass.CAR)), slices[frame], 0.25)
        assert len(set(ids[ids >= 0].tolist())) == int((ids >= 0).sum()), "one box per label at most"
        matched += int((ids >= 0).sum())
    assert matched >= 10
    features, y = record_pairs(layout, sequence, "Car", load_kitti_config(config_dir() / "kitti.yaml"), 0.25, 1.0)
    assert features.shape == (len(y), len(FEATURE_NAMES)) and 0.5 < y.mean() <= 1.0
