"""Wheel speed end to end: the simulator's vehicle-bus speed is recorded as a twist, the replayed
ego node fuses it (its pose tracks the ground truth better than from IMU + GNSS alone), and a
malformed wheel-speed message is rejected with a diagnostic while the replay goes on."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from datasets.bags.replay import replay_bag
from datasets.bags.simulation import write_scenario_bag
from datasets.simulation.config import ScenarioConfig
from datasets.simulation.scenario import simulate_scenario
from fusion.ego.wheel_speed import WheelSpeed
from fusion.graph import topics


@pytest.fixture(scope="module")
def inertial_configs(graph_configs):
    """The default graph on a vehicle with only its IMU, GNSS and wheel speed (quick to simulate and replay)."""
    vehicle = graph_configs.vehicle
    sensors = {name: s if s.kind in ("imu", "gnss") else s.model_copy(update={"enabled": False}) for name, s in vehicle.sensors.items()}
    return dataclasses.replace(graph_configs, vehicle=vehicle.model_copy(update={"sensors": sensors}))


@pytest.fixture(scope="module")
def drive(inertial_configs):
    """An 18 s drive (2 s standstill, then a lane change at 12 m/s) with one wheel-speed message in a wrong frame."""
    scenario = simulate_scenario(ScenarioConfig(duration_s=18.0), inertial_configs.vehicle)
    wheel = [i for i, e in enumerate(scenario.events) if isinstance(e.measurement, WheelSpeed)]
    assert len(wheel) == 18 * 50 + 1
    bad = wheel[len(wheel) // 2]
    events = list(scenario.events)
    events[bad] = dataclasses.replace(events[bad], measurement=dataclasses.replace(events[bad].measurement, frame_id="imu_link"))
    return dataclasses.replace(scenario, events=events)


@pytest.fixture(scope="module")
def drive_bag(drive, tmp_path_factory):
    path = tmp_path_factory.mktemp("wheel") / "drive.mcap"
    counts = write_scenario_bag(drive, path)
    assert counts[topics.WHEEL_SPEED] == 18 * 50 + 1
    return path


def ego_position_rmse(result) -> float:
    """Horizontal RMSE of the ego position against /ground_truth/odometry, after removing the mean
    offset (the estimator anchors its map frame at the first fix, not at the recording's origin)."""
    true_stamps = np.array([o.stamp_ns for o in result.ego_truth])
    truth = np.array([o.position[:2] for o in result.ego_truth])
    stamps = np.array([o.stamp_ns for o in result.ego_estimate])
    estimate = np.array([o.position[:2] for o in result.ego_estimate])
    since = stamps[0] + 2_000_000_000    # let the filter settle after its alignment
    keep = (true_stamps >= since) & (true_stamps <= stamps[-1])
    error = np.stack([np.interp(true_stamps[keep], stamps, estimate[:, k]) for k in range(2)], axis=1) - truth[keep]
    assert keep.sum() >= 80          # the estimator aligns about 6.6 s into the drive
    return float(np.sqrt(np.mean(np.sum((error - error.mean(axis=0)) ** 2, axis=1))))


def test_ego_estimate_tracks_the_truth_better_with_wheel_speed(drive_bag, inertial_configs):
    with_wheels = replay_bag(drive_bag, inertial_configs, truth=True)
    blind = dataclasses.replace(inertial_configs, vehicle=inertial_configs.vehicle.model_copy(
        update={"wheel_speed": inertial_configs.vehicle.wheel_speed.model_copy(update={"enabled": False})}))
    without = replay_bag(drive_bag, blind, truth=True)
    assert any(topics.WHEEL_SPEED in notice for notice in without.notices)   # not subscribed: skipped once
    rmse_with, rmse_without = ego_position_rmse(with_wheels), ego_position_rmse(without)
    assert rmse_with < 0.6 * rmse_without, (rmse_with, rmse_without)
    assert rmse_with < 0.5


def test_a_malformed_wheel_speed_message_is_rejected_with_a_diagnostic(drive_bag, inertial_configs):
    result = replay_bag(drive_bag, inertial_configs, truth=True)
    ego = result.diagnostics["ego_estimator"]
    assert f"{topics.WHEEL_SPEED}: 1 rejected" in ego["message"], ego
    assert len(result.ego_estimate) > 500 and not result.problems   # 50 Hz once aligned
