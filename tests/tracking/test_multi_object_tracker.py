"""MultiObjectTracker end to end: tracking a synthetic scene, asynchronous and bad input, covariance
health, fixed frames without an ego pose, pluggable costs, and the filterpy engine as the per-object twin."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from datasets.evaluation.dense_scene import dense_scene
from fusion.core.errors import InputError, StampOrderError, UnknownFrameError
from fusion.core.measurements import Boxes3D, ImuSample
from fusion.core.objects import TrackStatus
from fusion.tracking.tracker import MultiObjectTracker


def _run(vehicle, config, n=8, cycles=20, seed=4, engine="batched", mode="step"):
    scene = dense_scene(vehicle, n, seed=seed, radius_m=45.0)
    tracker = MultiObjectTracker(config, vehicle, scene.tree, engine=engine)
    for k in range(cycles):
        for batch in scene.cycle(k):
            getattr(tracker, mode)(batch)
    if mode == "process":
        tracker.flush()
    return scene, tracker


def _match(scene, objects):
    centers, _ = scene.truth(objects.stamp_ns)
    distance, index = cKDTree(centers).query(objects.position)
    return distance, index


@pytest.mark.parametrize("model,kind", [("cv", "ekf"), ("ca", "ukf"), ("ctrv", "ekf"), ("imm", "ukf")])
def test_tracks_every_object_of_a_scene(vehicle, tracker_config, model, kind):
    scene, tracker = _run(vehicle, tracker_config(motion={"model": model}, filter={"kind": kind}))
    objects = tracker.object_list()
    distance, index = _match(scene, objects)
    assert len(objects) == 8 and len(set(index)) == 8
    assert np.all(distance < 0.5)
    assert np.median(np.linalg.norm(objects.velocity - scene.velocity[index], axis=1)) < 0.8
    assert set(objects.status.tolist()) <= {TrackStatus.CONFIRMED, TrackStatus.COASTING}
    d = tracker.diagnostics()
    assert d["tracks"]["confirmed"] + d["tracks"]["coasting"] == 8 and d["rejected"] == {}


def test_ids_are_stable_and_unique(vehicle, tracker_config):
    scene = dense_scene(vehicle, 8, seed=4, radius_m=45.0)
    tracker = MultiObjectTracker(tracker_config(), vehicle, scene.tree)
    owner = {}
    for k in range(25):
        for batch in scene.cycle(k):
            tracker.step(batch)
        if k >= 5:
            objects = tracker.object_list()
            _, index = _match(scene, objects)
            for track, obj in zip(objects.track_ids.tolist(), index.tolist()):
                assert owner.setdefault(obj, track) == track
    assert len(set(owner.values())) == 8


def test_object_list_contents(vehicle, tracker_config):
    scene, tracker = _run(vehicle, tracker_config())
    objects = tracker.object_list()
    assert objects.frame_id == "map" and objects.sensor_names == ("camera_front", "radar_front", "radar_front_left",
                                                                   "radar_front_right", "lidar_top")
    assert objects.pose_covariance.shape == (8, 4, 4) and objects.twist_covariance.shape == (8, 4, 4)
    assert np.all(np.linalg.eigvalsh(objects.pose_covariance) > 0)
    assert np.all(objects.existence_probability > 0.5) and np.all(objects.age_s > 1.0)
    _, index = _match(scene, objects)
    np.testing.assert_allclose(objects.size, scene.sizes[index], atol=0.15)
    local = scene.ego_pose(objects.stamp_ns).inverse().apply(objects.position)
    in_front = (local[:, 0] > 10) & (np.abs(local[:, 1]) < 0.6 * local[:, 0])
    for i in np.flatnonzero(in_front):
        assert {"lidar_top", "radar_front", "camera_front"} <= set(objects.sensors_of(i))
    later = tracker.object_list(objects.stamp_ns + 500_000_000)
    np.testing.assert_allclose(later.position, objects.position + 0.5 * objects.velocity, atol=1e-6)
    with pytest.raises(StampOrderError):
        tracker.object_list(objects.stamp_ns - 1)
    record = next(objects.records())
    assert record["status"] in ("confirmed", "coasting") and record["class"] in ("car", "bicycle", "pedestrian")


def test_out_of_order_arrival_within_the_window_gives_the_in_order_result(vehicle, tracker_config):
    config = tracker_config()
    _, in_order = _run(vehicle, config)
    scene = dense_scene(vehicle, 8, seed=4, radius_m=45.0)
    shuffled = MultiObjectTracker(config, vehicle, scene.tree)
    for k in range(20):
        for batch in reversed(scene.cycle(k)):        # camera, radar, lidar: 40 ms out of order
            shuffled.process(batch)
    shuffled.flush()
    a, b = in_order.object_list(), shuffled.object_list()
    np.testing.assert_array_equal(a.track_ids, b.track_ids)
    np.testing.assert_allclose(a.position, b.position)
    assert shuffled.diagnostics()["rejected"] == {}


def test_late_duplicate_and_non_finite_input_is_counted_not_fatal(vehicle, tracker_config):
    scene, tracker = _run(vehicle, tracker_config(), cycles=5, mode="process")
    old = scene.cycle(1)[0]
    tracker.process(old)                                           # far behind the processed data
    lidar = scene.cycle(6)[0]
    lidar.centers[0, 0] = np.inf                                   # corrupted after validation
    tracker.step(lidar)
    tracker.step(lidar)                                            # the same message again
    d = tracker.diagnostics()
    assert d["rejected"] == {"too_late": 1, "non_finite": 1, "duplicate": 1}
    assert any("too_late" in m for m in d["recent_rejections"])
    assert d["tracks"]["confirmed"] + d["tracks"]["coasting"] >= 7


def test_bad_sources_raise_errors_naming_them(vehicle, tracker_config):
    tracker = MultiObjectTracker(tracker_config(), vehicle, vehicle.transform_tree())
    box = dict(centers=[[10.0, 0, 0]], sizes=[[4, 2, 1.5]], yaws=[0.0])
    with pytest.raises(InputError, match="lidar_rear"):
        tracker.process(Boxes3D(1, "lidar_top", "lidar_rear", **box))
    with pytest.raises(UnknownFrameError, match="velodyne"):
        tracker.process(Boxes3D(1, "velodyne", "lidar_top", **box))
    with pytest.raises(InputError, match="radar"):
        tracker.process(Boxes3D(1, "radar_front", "radar_front", **box))
    with pytest.raises(InputError, match="ImuSample"):
        tracker.process(ImuSample(1, "imu_link", "imu"))
    with pytest.raises(UnknownFrameError, match="map"):            # no ego pose in the tree yet
        tracker.process(Boxes3D(1, "lidar_top", "lidar_top", **box))
    assert not tracker.accepts(ImuSample(1, "imu_link", "imu"))
    assert tracker.diagnostics()["rejected"]["unknown_frame"] == 2


def test_covariance_loss_is_repaired_or_the_track_dropped(vehicle, tracker_config):
    scene, tracker = _run(vehicle, tracker_config(sensors={"radar": {"enabled": False}, "camera": {"enabled": False}}),
                          cycles=6)
    tracker.engine.P[0] = -tracker.engine.P[0]                   # indefinite
    tracker.engine.P[1, 0, 0] = np.nan
    ids = tracker.tracks.ids[:2].copy()
    for batch in scene.cycle(6):
        tracker.step(batch)
    d = tracker.diagnostics()
    assert d["covariance_repairs"] >= 1 and d["tracks_deleted"].get("covariance_failed") == 1
    assert ids[0] in tracker.tracks.ids and ids[1] not in tracker.tracks.ids
    assert np.all(np.linalg.eigvalsh(tracker.engine.P) > 0)


def test_tracks_in_a_vehicle_frame_without_ego_pose(vehicle, tracker_config):
    """KITTI-style: boxes in a sensor frame, tracking in a vehicle-fixed frame, no map."""
    config = tracker_config(frame_id="base_link", sensors={"radar": {"enabled": False}, "camera": {"enabled": False}})
    tracker = MultiObjectTracker(config, vehicle, vehicle.transform_tree())
    for k in range(10):
        t = 1_000_000_000 + k * 100_000_000
        boxes = Boxes3D(t, "lidar_top", "lidar_top", centers=[[10.0 + 0.5 * k, 2.0, -1.0], [20.0, -3.0 + 0.2 * k, -1.0]],
                        sizes=[[4.5, 1.9, 1.6], [0.7, 0.7, 1.8]], yaws=[0.0, 1.5], classes=[1, 7])
        tracker.step(boxes)
    objects = tracker.object_list()
    assert objects.frame_id == "base_link" and len(objects) == 2
    order = np.argsort(objects.position[:, 0])
    np.testing.assert_allclose(objects.velocity[order][:, :2], [[5.0, 0.0], [0.0, 2.0]], atol=0.3)
    np.testing.assert_allclose(objects.position[order][0], [10.0 + 4.5 + 1.3, 2.0, 0.9], atol=0.1)


def test_a_pluggable_cost_decides_the_assignment(vehicle, tracker_config):
    class NeverMatch:
        unassigned_cost = 1.0
        calls = 0

        def __call__(self, pairs):
            NeverMatch.calls += 1
            assert pairs.sensor_kind == "lidar" and pairs.residual.shape[1] == 4 and len(pairs.S) == len(pairs)
            return np.full(len(pairs), 2.0)

    config = tracker_config(sensors={"radar": {"enabled": False}, "camera": {"enabled": False}})
    scene = dense_scene(vehicle, 4, seed=1, radius_m=40.0)
    tracker = MultiObjectTracker(config, vehicle, scene.tree, costs={"lidar": NeverMatch()})
    for k in range(3):
        for batch in scene.cycle(k):
            tracker.step(batch)
    d = tracker.diagnostics()
    # nothing is assigned: a later detection inside its object's track restarts that track, one that
    # moved off it (a fast object) starts another
    inside = d["rejected"]["inside_existing_track"]
    assert NeverMatch.calls == 2 and d["tracks_created"] + inside == 12 and inside >= 6
    assert d["tracks_reinitialised"] == inside


def test_filterpy_engine_tracks_exactly_like_the_batched_one(vehicle, tracker_config):
    config = tracker_config(motion={"model": "ctrv"})
    _, batched = _run(vehicle, config, n=5, cycles=12)
    _, reference = _run(vehicle, config, n=5, cycles=12, engine="filterpy")
    a, b = batched.object_list(include_tentative=True), reference.object_list(include_tentative=True)
    np.testing.assert_array_equal(a.track_ids, b.track_ids)
    np.testing.assert_allclose(a.position, b.position, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.pose_covariance, b.pose_covariance, rtol=1e-9, atol=1e-12)
