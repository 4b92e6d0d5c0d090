"""Who is on the road: the ego and N cars, cyclists and pedestrians with class-specific sizes and
speeds, a route each, where they start (or when they enter), and whether they make a stop.

Agent 0 is the ego (its reference point is base_link, the rear-axle centre, `ref_offset` behind its
box centre); agents 1..N are the road users whose index is their stable track id.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datasets.simulation.config import ScenarioConfig
from datasets.simulation.paths import PathSet
from datasets.simulation.road import RoadLayout, Route
from fusion.config.vehicle import VehicleBody
from fusion.core.classes import ObjectClass

# Box size (length, width, height) mean and spread per class, and the limits they are clipped to.
SIZE_MEAN = {ObjectClass.CAR: (4.5, 1.82, 1.50), ObjectClass.BICYCLE: (1.80, 0.65, 1.70), ObjectClass.PEDESTRIAN: (0.55, 0.60, 1.72)}
SIZE_STD = {ObjectClass.CAR: (0.35, 0.08, 0.10), ObjectClass.BICYCLE: (0.10, 0.05, 0.07), ObjectClass.PEDESTRIAN: (0.08, 0.06, 0.09)}
# Share of road users starting on the main road (E/W) rather than the side road (N/S).
MAIN_ROAD_SHARE = 0.7
INTEREST_MARGIN_M = 80.0  # initial positions are drawn near the ego's drive, where sensors can see them


@dataclass
class Population:
    """Struct of arrays over agents (index 0 = ego). initial_s is NaN for agents entering later at
    spawn_time; stop_s is inf for agents without an unscheduled stop."""

    classes: np.ndarray
    sizes: np.ndarray
    desired_speed: np.ndarray
    route_index: np.ndarray
    initial_s: np.ndarray
    spawn_time: np.ndarray
    stop_s: np.ndarray
    stop_duration: np.ndarray
    ref_offset: np.ndarray
    release_time: np.ndarray
    routes: list[Route]

    def __len__(self) -> int:
        return len(self.classes)


def _draw_size(rng: np.random.Generator, cls: ObjectClass) -> np.ndarray:
    mean, std = np.array(SIZE_MEAN[cls]), np.array(SIZE_STD[cls])
    return np.clip(mean + std * rng.standard_normal(3), 0.6 * mean, 1.4 * mean)


def _direction(rng: np.random.Generator) -> str:
    return str(rng.choice(["E", "W"])) if rng.random() < MAIN_ROAD_SHARE else str(rng.choice(["N", "S"]))


def _ego_route(config: ScenarioConfig, road: RoadLayout) -> Route:
    ego = config.ego
    if ego.route == "turn_right":
        return road.vehicle_route("E", ego.lane, turn_right=True)
    if ego.route == "lane_change":
        lanes = config.road.lanes_per_direction
        target = ego.lane + 1 if ego.lane + 1 < lanes else ego.lane - 1
        if target < 0:
            return road.vehicle_route("E", ego.lane)
        before = road.cx - 60.0  # the change ends well before the junction, or starts after it
        begin = 0.5 * (ego.start_x_m + 20.0 + before - 40.0) if before - 40.0 >= ego.start_x_m + 20.0 else road.cx + 30.0
        return road.vehicle_route("E", ego.lane, lane_change=(target, begin))
    return road.vehicle_route("E", ego.lane)


def _road_user_route(rng: np.random.Generator, cls: ObjectClass, config: ScenarioConfig, road: RoadLayout,
                     speed: float) -> Route:
    traffic = config.traffic
    heading = _direction(rng)
    turn = rng.random() < traffic.turn_probability
    if cls == ObjectClass.PEDESTRIAN:
        return road.walk_route(heading, bool(rng.random() < 0.5), str(rng.choice(["left", "right"])) if turn else None, speed)
    if cls == ObjectClass.BICYCLE:
        return road.cycle_route(heading, turn_right=turn)
    lanes = config.road.lanes_per_direction if heading in "EW" else config.road.crossing_lanes_per_direction
    if turn:
        return road.vehicle_route(heading, 0, turn_right=True)
    lane = int(rng.integers(lanes))
    if lanes > 1 and heading in "EW" and rng.random() < traffic.lane_change_probability:
        target = lane + 1 if lane == 0 else lane - 1
        # somewhere along the main road, away from the junction (arc length = distance from the road end)
        spans = [(30.0, road.cx - 100.0), (road.cx + 30.0, config.road.length_m - 80.0)]
        lo, hi = spans[int(rng.integers(2))]
        along = rng.uniform(lo, max(hi, lo + 1.0))
        return road.vehicle_route(heading, lane, lane_change=(target, along))
    return road.vehicle_route(heading, lane)


def _conflicts(xy: np.ndarray, heading: float, speed: float, others_xy: np.ndarray, pedestrian: bool) -> bool:
    """Would a new agent at xy stand too close to already placed agents (in its lane, within its
    stopping distance; or anywhere within a couple of metres)?"""
    if not len(others_xy):
        return False
    d = others_xy - xy
    dist = np.linalg.norm(d, axis=1)
    if pedestrian:
        return bool(np.any(dist < 1.5))
    direction = np.array([np.cos(heading), np.sin(heading)])
    lon, lat = d @ direction, d @ np.array([-direction[1], direction[0]])
    in_line = (np.abs(lat) < 2.0) & (np.abs(lon) < 8.0 + 1.5 * speed)
    return bool(np.any(dist < 3.0) or np.any(in_line))


def build_population(config: ScenarioConfig, road: RoadLayout, body: VehicleBody, rng: np.random.Generator) -> tuple[Population, PathSet]:
    """Draw the road users for a scenario. Deterministic for a given generator state."""
    traffic = config.traffic
    speed_ranges = {ObjectClass.CAR: traffic.car_speed_mps, ObjectClass.BICYCLE: traffic.cyclist_speed_mps,
                    ObjectClass.PEDESTRIAN: traffic.pedestrian_speed_mps}
    kinds = [ObjectClass.CAR] * traffic.cars + [ObjectClass.BICYCLE] * traffic.cyclists + [ObjectClass.PEDESTRIAN] * traffic.pedestrians
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]

    routes = [_ego_route(config, road)]
    classes = [int(ObjectClass.CAR)]
    sizes = [np.array([body.length_m, body.width_m, body.height_m])]
    speeds = [config.ego.speed_mps]
    initial_s = [config.ego.start_x_m]
    spawn_time = [0.0]
    ref_offset = [0.5 * body.wheelbase_m]
    release_time = [config.ego.standstill_s]
    ego_xy, _ = PathSet([routes[0].path]).evaluate(np.array([0]), np.array([initial_s[0]]))
    placed_xy = [ego_xy[0] + ref_offset[0] * np.array([1.0, 0.0])]
    x_low = config.ego.start_x_m - INTEREST_MARGIN_M

    for cls in kinds:
        speed = float(rng.uniform(*speed_ranges[cls]))
        route = _road_user_route(rng, cls, config, road, speed)
        size = _draw_size(rng, cls)
        start, spawn = np.nan, float(rng.uniform(0.0, config.duration_s))
        if rng.random() < traffic.initial_fraction:
            path = route.path
            for _ in range(30):
                s = float(rng.uniform(0.0, path.length - 20.0))
                k = min(np.searchsorted(path.arc_length, s), len(path.arc_length) - 1)
                xy = path.points[k]
                near_drive = xy[0] >= x_low and abs(xy[1]) <= INTEREST_MARGIN_M
                # not so close to a signal that a red light there could not be obeyed from the start
                ahead = np.asarray(route.stops[:, 0]) - s
                can_stop = cls == ObjectClass.PEDESTRIAN or not np.any((ahead > -5.0) & (ahead < speed**2 / 4.0 + 10.0))
                if near_drive and can_stop and not road.in_junction(xy[None])[0] and not _conflicts(
                        xy, path.heading[k], speed, np.array(placed_xy), cls == ObjectClass.PEDESTRIAN):
                    start, spawn = s, 0.0
                    placed_xy.append(xy)
                    break
        routes.append(route)
        classes.append(int(cls))
        sizes.append(size)
        speeds.append(speed)
        initial_s.append(start)
        spawn_time.append(spawn)
        ref_offset.append(0.0)
        release_time.append(0.0)

    n = len(classes)
    stop_s = np.full(n, np.inf)
    stop_duration = np.zeros(n)
    for i in range(1, n):
        if rng.random() < traffic.stop_probability:
            begin = 0.0 if np.isnan(initial_s[i]) else initial_s[i]
            s = begin + rng.uniform(0.1, 0.6) * speeds[i] * config.duration_s
            if s < routes[i].path.length - 10.0 and not _near_stop_line(routes[i], s):
                stop_s[i] = s
                stop_duration[i] = rng.uniform(*traffic.stop_duration_s)

    paths = PathSet([r.path for r in routes])
    population = Population(
        classes=np.array(classes, dtype=np.int64), sizes=np.array(sizes), desired_speed=np.array(speeds),
        route_index=np.arange(n), initial_s=np.array(initial_s), spawn_time=np.array(spawn_time),
        stop_s=stop_s, stop_duration=stop_duration, ref_offset=np.array(ref_offset),
        release_time=np.array(release_time), routes=routes)
    return population, paths


def _near_stop_line(route: Route, s: float) -> bool:
    """Unscheduled stops are kept 25 m clear of signal stops, so they do not block a junction."""
    return bool(np.any(np.abs(route.stops[:, 0] - s) < 25.0))
