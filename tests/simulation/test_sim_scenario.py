"""Whole scenarios: deterministic for a seed, different across seeds, events in a total order with
arrival = stamp + latency, ground truth with stable ids, lidar point clouds consistent with the boxes."""
from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from sim_helpers import assert_same_events, same_value

from datasets.simulation.scenario import simulate_scenario
from fusion.core.boxes import points_in_boxes
from fusion.core.measurements import Boxes3D, GnssFix, GnssStatus, ImuSample, LidarPointCloud
from fusion.core.time import NS_PER_S
from fusion.ego.wheel_speed import WheelSpeed
from fusion.graph.topics import WHEEL_SPEED_SENSOR


def test_same_seed_gives_identical_events(short_config, short_scenario, vehicle):
    again = simulate_scenario(short_config, vehicle)
    assert_same_events(short_scenario.events, again.events)
    for a, b in zip(short_scenario.truth, again.truth):
        for f in fields(a):
            assert same_value(getattr(a, f.name), getattr(b, f.name))


def test_another_seed_gives_other_events(short_config, short_scenario, vehicle):
    other = simulate_scenario(short_config.model_copy(update={"seed": short_config.seed + 1}), vehicle)
    radar = lambda s: np.concatenate([e.measurement.range for e in s.events if e.sensor_id == "radar_front"])  # noqa: E731
    assert not np.array_equal(radar(short_scenario)[:50], radar(other)[:50])
    assert not np.allclose(short_scenario.truth[0].centers[:5], other.truth[0].centers[:5])


def test_events_are_totally_ordered_and_arrive_after_their_latency(short_scenario, vehicle):
    keys = [e.sort_key() for e in short_scenario.events]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for e in short_scenario.events:
        sensor = vehicle.wheel_speed if e.sensor_id == WHEEL_SPEED_SENSOR else vehicle.sensors[e.sensor_id]
        assert e.arrival_ns - e.stamp_ns == int(round(sensor.latency_s * NS_PER_S))
    start = short_scenario.config.start_time_s * NS_PER_S
    assert all(start <= e.stamp_ns <= start + short_scenario.config.duration_s * NS_PER_S for e in short_scenario.events)


def test_every_sensor_reports_at_its_rate(short_scenario, vehicle):
    counts = short_scenario.counts_by_sensor()
    duration = short_scenario.config.duration_s
    for name, sensor in [*vehicle.sensors.items(), (WHEEL_SPEED_SENSOR, vehicle.wheel_speed)]:
        assert abs(counts[name] - duration * sensor.rate_hz) <= 1, name
    imu = [e.measurement for e in short_scenario.events if isinstance(e.measurement, ImuSample)]
    resting = np.mean([m.linear_acceleration for m in imu[:100]], axis=0)   # the ego stands still first
    assert resting[2] == pytest.approx(9.81, abs=0.1)


def test_gnss_outage_window_has_no_fix(vehicle, short_config):
    config = short_config.model_copy(update={"gnss_outages": short_config.gnss_outages.model_copy(update={"start_s": [1.0], "duration_s": [2.0]})})
    scenario = simulate_scenario(config, vehicle)
    start = config.start_time_s * NS_PER_S
    for e in scenario.events:
        if isinstance(e.measurement, GnssFix):
            t = (e.stamp_ns - start) / NS_PER_S
            assert (e.measurement.status == GnssStatus.NO_FIX) == (1.0 <= t < 3.0)


def test_wheel_speed_is_the_scaled_forward_speed_of_base_link_and_its_own_stream(short_config, short_scenario, vehicle):
    wheel = [e.measurement for e in short_scenario.events if isinstance(e.measurement, WheelSpeed)]
    assert {(m.frame_id, m.sensor_id) for m in wheel} == {(vehicle.vehicle.base_frame, WHEEL_SPEED_SENSOR)}
    stamps = np.array([m.stamp_ns for m in wheel])
    measured = np.array([m.speed_mps for m in wheel])
    ego = short_scenario.ego
    true_speed = np.linalg.norm(ego.velocity[np.searchsorted(ego.stamps_ns, stamps)], axis=1)
    assert np.all(measured[true_speed < 0.05] == 0.0)              # standing: no wheel ticks
    moving = true_speed > 1.0
    assert moving.sum() > 50
    config = vehicle.wheel_speed
    error = measured[moving] - (1.0 + config.scale_error) * true_speed[moving]
    assert abs(error.mean()) < 0.02 and error.std() == pytest.approx(config.noise_std_mps, rel=0.3)
    assert all(m.std_mps == config.noise_std_mps for m in wheel)
    without = vehicle.model_copy(update={"wheel_speed": config.model_copy(update={"enabled": False})})
    others = simulate_scenario(short_config, without)
    assert not any(isinstance(e.measurement, WheelSpeed) for e in others.events)
    assert_same_events(others.events, [e for e in short_scenario.events if not isinstance(e.measurement, WheelSpeed)])


def test_truth_ids_are_stable_and_detections_name_true_objects(short_scenario):
    identity: dict[int, tuple] = {}
    for frame in short_scenario.truth:
        assert len(set(frame.track_ids.tolist())) == len(frame.track_ids)
        for track, cls, size in zip(frame.track_ids.tolist(), frame.classes.tolist(), frame.sizes.tolist()):
            assert identity.setdefault(track, (cls, size)) == (cls, size)
        assert np.all(np.abs(frame.centers[:, 2] - frame.sizes[:, 2] / 2) < 1e-9)   # standing on the ground
    assert 0 < np.mean([f.visible.mean() for f in short_scenario.truth]) < 1
    for e in short_scenario.events:
        if e.truth_ids is not None:
            assert len(e.truth_ids) == len(e.measurement)
            assert set(e.truth_ids[e.truth_ids >= 0].tolist()) <= set(identity)


def test_lidar_points_leave_other_streams_unchanged_and_fit_the_boxes(short_config, short_scenario, vehicle):
    with_points = simulate_scenario(short_config.model_copy(update={"lidar_points": True}), vehicle)
    clouds = [e for e in with_points.events if isinstance(e.measurement, LidarPointCloud)]
    assert_same_events(short_scenario.events, [e for e in with_points.events if not isinstance(e.measurement, LidarPointCloud)])
    lidar = vehicle.sensors["lidar_top"]
    assert abs(len(clouds) - short_config.duration_s * lidar.rate_hz) <= 1
    boxes = {e.stamp_ns: e.measurement for e in with_points.events if isinstance(e.measurement, Boxes3D)}
    boxes_truth = {e.stamp_ns: e.truth_ids for e in with_points.events if isinstance(e.measurement, Boxes3D)}
    for event in clouds:
        cloud = event.measurement
        assert len(cloud) > 5000
        assert np.all(cloud.fields["time"] >= 0) and np.all(cloud.fields["time"] < 1.0 / lidar.rate_hz)
        assert set(np.unique(cloud.fields["ring"]).astype(int)) <= set(range(lidar.channels))
        ranges = np.linalg.norm(cloud.points, axis=1)
        assert ranges.min() >= lidar.min_range_m - 0.1 and ranges.max() <= lidar.max_range_m + 0.1
        ground = cloud.points[:, 2] < -lidar.mount.translation[2] + 0.15
        assert ground.mean() > 0.5
        detected = boxes[cloud.stamp_ns]
        real = boxes_truth[cloud.stamp_ns] >= 0
        # boxes are at the scan stamp, points where the objects were when the beam came round (up to 0.1 s later)
        inside = points_in_boxes(cloud.points, detected.centers[real], detected.sizes[real] + 3.0, detected.yaws[real])
        assert np.all(inside.sum(axis=1) >= 1)
