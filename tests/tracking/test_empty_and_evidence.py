"""Empty batches never break a cycle (the old "cannot reshape array of size 0" crash of usable_rows),
and the public evidence API an outside stage (camera fusion) uses instead of the track table's internals."""
from __future__ import annotations

import numpy as np
import pytest

from datasets.evaluation.dense_scene import dense_scene
from fusion.core.errors import InputError
from fusion.core.measurements import Boxes3D, CameraDetections, RadarDetections
from fusion.core.objects import TrackStatus
from fusion.tracking.measurement import usable_rows
from fusion.tracking.tracker import MultiObjectTracker


def _empty_like(batch):
    common = (batch.stamp_ns, batch.frame_id, batch.sensor_id)
    if isinstance(batch, Boxes3D):
        return Boxes3D(*common, centers=np.zeros((0, 3)), sizes=np.zeros((0, 3)), yaws=np.zeros(0))
    if isinstance(batch, RadarDetections):
        return RadarDetections(*common, range=np.zeros(0), azimuth=np.zeros(0))
    return CameraDetections(*common, boxes=np.zeros((0, 4)))


def test_usable_rows_of_an_empty_batch():
    keep, dropped = usable_rows(0.0, np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0))
    assert keep.shape == (0,) and dropped == {}


@pytest.mark.parametrize("engine", ["batched", "filterpy"])
def test_empty_batches_of_every_sensor_before_and_between_tracks(vehicle, tracker_config, engine):
    scene = dense_scene(vehicle, 4, seed=3, radius_m=40.0)
    tracker = MultiObjectTracker(tracker_config(), vehicle, scene.tree, engine=engine)
    for k in range(8):
        for batch in scene.cycle(k):
            tracker.step(_empty_like(batch) if k in (0, 1, 5) else batch)   # empty with no tracks, then with tracks
        tracker.object_list(tracker.time_ns + 30_000_000)
    d = tracker.diagnostics()
    assert sum(d["processed"].values()) == 8 * 3 and d["rejected"] == {}
    assert d["tracks"]["confirmed"] + d["tracks"]["coasting"] == 4


def test_all_detections_unusable_is_an_empty_update(vehicle, tracker_config):
    scene = dense_scene(vehicle, 3, seed=5, radius_m=40.0)
    tracker = MultiObjectTracker(tracker_config(), vehicle, scene.tree)
    for k in range(4):
        for batch in scene.cycle(k):
            tracker.step(batch)
    lidar = scene.cycle(4)[0]
    lidar.centers[:] = np.nan
    tracker.step(lidar)
    assert tracker.diagnostics()["rejected"] == {"non_finite": 3} and len(tracker.tracks) == 3


def _lidar_only(vehicle, tracker_config, n=3):
    config = tracker_config(sensors={"radar": {"enabled": False}, "camera": {"enabled": False}})
    scene = dense_scene(vehicle, n, seed=2, radius_m=40.0)
    return scene, MultiObjectTracker(config, vehicle, scene.tree)


def test_an_evidence_sensor_gets_a_named_bit(vehicle, tracker_config):
    scene, tracker = _lidar_only(vehicle, tracker_config)
    assert tracker.add_evidence_sensor("lidar_top") == tracker.sensor_names.index("lidar_top")   # a tracker sensor keeps its bit
    bit = tracker.add_evidence_sensor("camera_stage")
    assert bit == len(tracker.sensor_names) - 1 and tracker.add_evidence_sensor("camera_stage") == bit
    tracker.step(scene.cycle(0)[0])
    n = len(tracker.tracks)
    tracker.apply_evidence("camera_stage", np.ones(n, dtype=bool), np.array([0]), tracker.time_ns, 0.9, 5.0)
    objects = tracker.object_list(include_tentative=True)
    assert objects.sensor_names[bit] == "camera_stage"
    assert objects.sensors_of(0) == ["lidar_top", "camera_stage"]
    assert all(objects.sensors_of(i) == ["lidar_top"] for i in range(1, n))
    assert tracker.diagnostics()["processed"]["camera_stage"] == 1


def test_evidence_confirms_tracks_and_misses_lower_their_existence(vehicle, tracker_config):
    scene, tracker = _lidar_only(vehicle, tracker_config)
    tracker.add_evidence_sensor("camera_stage")
    tracker.step(scene.cycle(0)[0])
    n = len(tracker.tracks)
    before = tracker.tracks.existence.copy()
    visible = np.ones(n, dtype=bool)
    for _ in range(tracker.config.management.confirm_hits):
        tracker.apply_evidence("camera_stage", visible, np.array([0]), tracker.time_ns, 0.9, 5.0)
    tracks = tracker.tracks
    assert tracks.status[0] == TrackStatus.CONFIRMED and np.all(tracks.status[1:] == TrackStatus.TENTATIVE)
    assert tracks.existence[0] > before[0] and np.all(tracks.existence[1:] < before[1:])
    assert np.all(tracks.misses[1:] == tracker.config.management.confirm_hits) and tracks.misses[0] == 0


def test_evidence_input_is_checked(vehicle, tracker_config):
    scene, tracker = _lidar_only(vehicle, tracker_config)
    tracker.step(scene.cycle(0)[0])
    n = len(tracker.tracks)
    with pytest.raises(InputError, match="not registered"):
        tracker.apply_evidence("camera_stage", np.ones(n, dtype=bool), np.zeros(0, dtype=np.int64), 0, 0.9, 5.0)
    tracker.add_evidence_sensor("camera_stage")
    with pytest.raises(InputError, match="track rows"):
        tracker.apply_evidence("camera_stage", np.ones(n + 1, dtype=bool), np.zeros(0, dtype=np.int64), 0, 0.9, 5.0)
    with pytest.raises(InputError, match="track rows"):
        tracker.apply_evidence("camera_stage", np.ones(n, dtype=bool), np.array([n]), 0, 0.9, 5.0)


def test_retired_tracks_keep_their_rows_until_the_next_update(vehicle, tracker_config):
    scene, tracker = _lidar_only(vehicle, tracker_config)
    for k in range(3):
        tracker.step(scene.cycle(k)[0])
    ids = tracker.tracks.ids.copy()
    tracker.retire(np.array([1]))
    np.testing.assert_array_equal(tracker.tracks.ids, ids)
    assert tracker.tracks.existence[1] == 0.0
    tracker.step(scene.cycle(3)[0])
    assert ids[1] not in tracker.tracks.ids and tracker.diagnostics()["tracks_deleted"]["low_existence"] == 1
