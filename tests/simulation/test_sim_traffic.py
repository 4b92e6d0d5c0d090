"""Traffic plausibility over the default 40 s scenario: paths are smooth, road users never overlap,
pedestrians keep to sidewalks and crosswalks, vehicles enter the junction on green, some stop."""
from __future__ import annotations

import numpy as np
import pytest

from datasets.simulation.config import load_scenario_config
from datasets.simulation.paths import fillet_path
from datasets.simulation.population import build_population
from datasets.simulation.road import RoadLayout, SignalGroup
from datasets.simulation.scenario import random_stream
from datasets.simulation.traffic import simulate_traffic
from fusion.config.vehicle import VehicleBody
from fusion.core.boxes import box_corners, points_in_boxes
from fusion.core.classes import ObjectClass

TIMES = np.arange(0.0, 40.0, 0.25)


@pytest.fixture(scope="module")
def traffic():
    config = load_scenario_config()
    road = RoadLayout(config.road)
    population, paths = build_population(config, road, VehicleBody(), random_stream(config.seed, "traffic"))
    history = simulate_traffic(population, paths, road, config.duration_s)
    return road, history, [history.world_at(t) for t in TIMES]


def test_fillet_path_is_a_smooth_right_turn():
    path = fillet_path(np.array([[0.0, 0.0], [50.0, 0.0], [50.0, -50.0]]), [7.0])
    assert path.length == pytest.approx(2 * 43.0 + np.pi * 7.0 / 2, abs=0.01)
    assert np.degrees(path.heading[[0, -1]]) == pytest.approx([0.0, -90.0])
    assert np.max(np.abs(np.diff(path.heading))) < 0.05
    assert np.min(path.curvature) == pytest.approx(-1 / 7.0)


def test_road_users_never_overlap(traffic):
    _, _, worlds = traffic
    for t, world in zip(TIMES, worlds):
        shrunk = world.sizes * np.array([0.9, 0.9, 1.0])        # touching is not overlapping
        corners = box_corners(world.centers, shrunk, world.yaws)
        probes = np.concatenate([corners, world.centers[:, None, :]], axis=1)   # (N, 9, 3)
        for i in range(len(world)):
            inside = points_in_boxes(probes[i], world.centers, shrunk, world.yaws)
            inside[i] = False
            assert not inside.any(), f"object {world.ids[i]} overlaps {world.ids[inside.any(axis=1)]} at t={t}"


def test_pedestrians_cross_roads_only_on_crosswalks(traffic):
    road, _, worlds = traffic
    c = road.config
    crosswalk_x = road.cx + np.array([-1, 1]) * (road.side_half + c.cycle_lane_width_m + c.sidewalk_width_m / 2)
    crosswalk_y = np.array([-1, 1]) * (road.main_half + c.cycle_lane_width_m + c.sidewalk_width_m / 2)
    for world in worlds:
        xy = world.centers[world.classes == ObjectClass.PEDESTRIAN, :2]
        on_main = road.in_main_carriageway(xy)
        on_side = road.in_side_carriageway(xy)
        assert np.all(np.min(np.abs(xy[on_main, 0:1] - crosswalk_x), axis=1) < c.sidewalk_width_m / 2 + 0.5)
        assert np.all(np.min(np.abs(xy[on_side, 1:2] - crosswalk_y), axis=1) < c.sidewalk_width_m / 2 + 0.5)


def test_vehicles_enter_the_junction_on_green_and_some_stop(traffic):
    road, history, worlds = traffic
    vehicles = history.population.classes != ObjectClass.PEDESTRIAN
    entries = 0
    before: dict[int, tuple[bool, float]] = {}   # inside the junction, yaw: at the previous sample
    for t, world in zip(TIMES, worlds):
        inside = road.in_junction(world.centers[:, :2])
        for k, track in enumerate(world.ids.tolist()):
            if vehicles[track] and inside[k] and track in before and not before[track][0]:
                entries += 1
                yaw = before[track][1]
                group = SignalGroup.MAIN if abs(np.cos(yaw)) >= abs(np.sin(yaw)) else SignalGroup.SIDE
                # on green, or just after it ended (too close to stop when it turned)
                assert max(road.green_remaining(group, t), road.green_remaining(group, t - 3.0)) > 0, (track, t)
            before[track] = (bool(inside[k]), float(world.yaws[k]))
    assert entries >= 5
    standing = (history.v < 0.1) & history.active
    assert standing[:, 1:].any(axis=0).sum() >= 3          # some road users stop (signal, queue, or a pause)
    assert standing[:, 0].any() and not standing[-50:, 0].all()   # the ego stands, then drives
