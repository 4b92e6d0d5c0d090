"""The road layout: a main road along map x crossed by a side road, lanes, cycle lanes, sidewalks,
a traffic signal, and the routes road users take through it.

Every travel line is given by a heading (E, W, N, S) and its offset to the right of the road's
centreline, so lanes, cycle lanes and sidewalk walking lines are built the same way. Right-hand
traffic; vehicles turn right only (no conflicts with oncoming traffic to negotiate).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from datasets.simulation.config import RoadConfig
from datasets.simulation.paths import PathSamples, fillet_path

HEADINGS = {"E": np.array([1.0, 0.0]), "N": np.array([0.0, 1.0]), "W": np.array([-1.0, 0.0]), "S": np.array([0.0, -1.0])}
RIGHT_OF = {"E": "S", "S": "W", "W": "N", "N": "E"}
LEFT_OF = {v: k for k, v in RIGHT_OF.items()}

VEHICLE_TURN_RADIUS_M = 7.0
PEDESTRIAN_TURN_RADIUS_M = 1.0
LANE_CHANGE_RADIUS_M = 150.0
LANE_CHANGE_LENGTH_M = 40.0
# Pedestrians start to cross only while this share of their crossing time is left of the green.
PEDESTRIAN_CLEAR_SHARE = 0.7


class SignalGroup(IntEnum):
    """Who a traffic-signal stop belongs to: traffic along the main road, or along the side road."""

    MAIN = 0
    SIDE = 1


@dataclass(frozen=True)
class Route:
    """A path and its signal stops (K, 3): arc length of the stop line, SignalGroup, and the green
    time that must remain to start passing (pedestrians need time to cross; vehicles 0)."""

    path: PathSamples
    stops: np.ndarray


class RoadLayout:
    def __init__(self, config: RoadConfig):
        self.config = config
        c = config
        self.main_half = c.lanes_per_direction * c.lane_width_m          # carriageway half width
        self.side_half = c.crossing_lanes_per_direction * c.lane_width_m
        self.cx = c.crossing_x_m
        self.cycle = c.main_green_s + c.side_green_s + 2 * c.clearance_s

    # -- geometry -------------------------------------------------------------------------------
    def _road_half(self, heading: str) -> float:
        return self.main_half if heading in "EW" else self.side_half

    def line(self, heading: str, offset: float) -> tuple[np.ndarray, np.ndarray]:
        """Start and end points of a travel line `offset` m right of the road centreline."""
        c = self.config
        half = c.crossing_length_m / 2
        if heading == "E":
            return np.array([0.0, -offset]), np.array([c.length_m, -offset])
        if heading == "W":
            return np.array([c.length_m, offset]), np.array([0.0, offset])
        if heading == "N":
            return np.array([self.cx + offset, -half]), np.array([self.cx + offset, half])
        return np.array([self.cx - offset, half]), np.array([self.cx - offset, -half])

    def lane_offset(self, heading: str, lane: int) -> float:
        """Lane 0 is the rightmost."""
        return self._road_half(heading) - (lane + 0.5) * self.config.lane_width_m

    def cycle_offset(self, heading: str) -> float:
        return self._road_half(heading) + 0.5 * self.config.cycle_lane_width_m

    def sidewalk_offset(self, heading: str, right_side: bool) -> float:
        """Walking line on the right or left sidewalk, keeping right within it."""
        inner = self._road_half(heading) + self.config.cycle_lane_width_m
        return inner + 0.7 * self.config.sidewalk_width_m if right_side else -(inner + 0.3 * self.config.sidewalk_width_m)

    @staticmethod
    def _crossing_point(a: tuple[str, np.ndarray], b: tuple[str, np.ndarray]) -> np.ndarray:
        """Where a horizontal (E/W) and a vertical (N/S) line cross."""
        (ha, pa), (_, pb) = a, b
        return np.array([pb[0], pa[1]]) if ha in "EW" else np.array([pa[0], pb[1]])

    def in_main_carriageway(self, xy: np.ndarray) -> np.ndarray:
        return np.abs(xy[:, 1]) < self.main_half + self.config.cycle_lane_width_m

    def in_side_carriageway(self, xy: np.ndarray) -> np.ndarray:
        return (np.abs(xy[:, 0] - self.cx) < self.side_half + self.config.cycle_lane_width_m) & ~self.in_main_carriageway(xy)

    def in_junction(self, xy: np.ndarray) -> np.ndarray:
        c = self.config
        return ((np.abs(xy[:, 0] - self.cx) < self.side_half + c.cycle_lane_width_m + c.sidewalk_width_m)
                & (np.abs(xy[:, 1]) < self.main_half + c.cycle_lane_width_m + c.sidewalk_width_m))

    # -- signal ---------------------------------------------------------------------------------
    def green_remaining(self, group: np.ndarray, t: float) -> np.ndarray:
        """Seconds of green left for each signal group at time t (0 where it is not green)."""
        c = self.config
        phase = (t + c.signal_offset_s) % self.cycle
        side_start = c.main_green_s + c.clearance_s
        main_left = max(c.main_green_s - phase, 0.0)
        side_left = side_start + c.side_green_s - phase if side_start <= phase < side_start + c.side_green_s else 0.0
        return np.where(np.asarray(group) == SignalGroup.MAIN, main_left, side_left)

    # -- routes ---------------------------------------------------------------------------------
    def _route(self, heading: str, offset: float, turn_to: tuple[str, float] | None, radius: float,
               pedestrian: bool, speed: float) -> Route:
        start, end = self.line(heading, offset)
        if turn_to is None:
            path = fillet_path(np.array([start, end]), [])
        else:
            start2, end2 = self.line(*turn_to)
            corner = self._crossing_point((heading, start), (turn_to[0], start2))
            path = fillet_path(np.array([start, corner, end2]), [radius])
        return Route(path, self._signal_stops(path, pedestrian, speed))

    def vehicle_route(self, heading: str, lane: int, turn_right: bool = False,
                      lane_change: tuple[int, float] | None = None) -> Route:
        """A lane; optionally turning right at the crossing (from the rightmost lane into the other
        road's rightmost lane), or changing to lane `lane_change[0]` at `lane_change[1]` m along."""
        offset = self.lane_offset(heading, lane)
        if lane_change is not None:
            start, end = self.line(heading, offset)
            new_start, new_end = self.line(heading, self.lane_offset(heading, lane_change[0]))
            d = HEADINGS[heading]
            begin = start + d * lane_change[1]
            corners = np.array([start, begin, new_start + d * (lane_change[1] + LANE_CHANGE_LENGTH_M), new_end])
            path = fillet_path(corners, [LANE_CHANGE_RADIUS_M, LANE_CHANGE_RADIUS_M])
            return Route(path, self._signal_stops(path, False, 0.0))
        turn = (RIGHT_OF[heading], self.lane_offset(RIGHT_OF[heading], 0)) if turn_right else None
        return self._route(heading, offset, turn, VEHICLE_TURN_RADIUS_M, False, 0.0)

    def cycle_route(self, heading: str, turn_right: bool = False) -> Route:
        turn = (RIGHT_OF[heading], self.cycle_offset(RIGHT_OF[heading])) if turn_right else None
        return self._route(heading, self.cycle_offset(heading), turn, VEHICLE_TURN_RADIUS_M - 2.0, False, 0.0)

    def walk_route(self, heading: str, right_side: bool, turn: str | None, speed: float) -> Route:
        """Along a sidewalk; `turn` 'left'/'right' turns into the first sidewalk of the crossing road
        it reaches (which may mean crossing the other road on the crosswalk)."""
        offset = self.sidewalk_offset(heading, right_side)
        if turn is None:
            return self._route(heading, offset, None, PEDESTRIAN_TURN_RADIUS_M, True, speed)
        heading2 = RIGHT_OF[heading] if turn == "right" else LEFT_OF[heading]
        start, _ = self.line(heading, offset)
        candidates = [self.sidewalk_offset(heading2, side) for side in (True, False)]
        reach = [float((self._crossing_point((heading, start), (heading2, self.line(heading2, o)[0])) - start) @ HEADINGS[heading])
                 for o in candidates]
        return self._route(heading, offset, (heading2, candidates[int(np.argmin(reach))]), PEDESTRIAN_TURN_RADIUS_M, True, speed)

    def _signal_stops(self, path: PathSamples, pedestrian: bool, speed: float) -> np.ndarray:
        """Stop lines where the path enters the junction (vehicles, cyclists) or a carriageway
        (pedestrians, who walk while the crossed road's traffic is held)."""
        xy, s = path.points, path.arc_length
        stops = []
        regions = ([(self.in_main_carriageway(xy), SignalGroup.SIDE), (self.in_side_carriageway(xy), SignalGroup.MAIN)]
                   if pedestrian else [(self.in_junction(xy), None)])
        for inside, group in regions:
            entries = np.flatnonzero(inside[1:] & ~inside[:-1]) + 1
            for e in entries:
                d = xy[e] - xy[e - 1]  # vehicles: the signal group follows the direction they enter in
                entry_group = group if group is not None else SignalGroup.MAIN if abs(d[0]) >= abs(d[1]) else SignalGroup.SIDE
                exits = np.flatnonzero(~inside[e:])
                crossing_m = s[e + exits[0]] - s[e] if exits.size else s[-1] - s[e]
                clear_time = PEDESTRIAN_CLEAR_SHARE * crossing_m / speed if pedestrian else 0.0
                stops.append((max(s[e] - (0.5 if pedestrian else 1.5), 0.0), float(entry_group), clear_time))
        stops.sort()
        return np.array(stops, dtype=float).reshape(-1, 3)
