"""Traffic dynamics: every agent drives along its route with the Intelligent Driver Model (Treiber et
al. 2000), following whatever is ahead of it, slowing for curves, stopping at red signals and for
its unscheduled stop, all agents stepped together as arrays.

Within a step the acceleration is constant, so positions at any instant are exact (ballistic):
s(t_k + tau) = s_k + v_k tau + a_k tau^2 / 2. Sensors sample the history at their own stamps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datasets.simulation.paths import PathSet
from datasets.simulation.population import Population
from datasets.simulation.road import RoadLayout
from datasets.simulation.world import WorldState
from fusion.core.classes import ObjectClass
from fusion.core.quaternion import wrap_angle

STEP_S = 0.1
LOOKAHEAD_M = 60.0
MAX_BRAKE_MPS2 = 9.0
MIN_GAP_M = 0.1
PREDICTION_S = 1.5       # agents also yield to what will be in their way this soon
LATERAL_MARGIN_M = 0.4

# IDM parameters per class: max acceleration, comfortable deceleration [m/s^2], standstill gap [m],
# time headway [s], lateral acceleration accepted in curves [m/s^2].
IDM = {
    ObjectClass.CAR: (1.5, 2.0, 2.0, 1.2, 2.0),
    ObjectClass.BICYCLE: (1.0, 1.5, 1.5, 1.0, 1.5),
    ObjectClass.PEDESTRIAN: (0.8, 1.5, 0.6, 0.5, 3.0),
}
# Who clears a conflict first when two road users already block each other.
RIGHT_OF_WAY_RANK = {ObjectClass.CAR: 2, ObjectClass.BICYCLE: 1, ObjectClass.PEDESTRIAN: 0}


def _curve_speed_limit(population: Population, paths: PathSet) -> np.ndarray:
    """Per path sample, the speed from which the agent can still brake comfortably to the speed its
    lateral-acceleration limit allows in every curve ahead (concatenated over paths)."""
    limits = []
    for agent, route in enumerate(population.routes):
        _, brake, _, _, lateral = IDM[ObjectClass(population.classes[agent])]
        path = route.path
        v_curve_sq = lateral / np.maximum(np.abs(path.curvature), 1e-6)
        ahead = np.minimum.accumulate((v_curve_sq + 2 * brake * path.arc_length)[::-1])[::-1]
        limits.append(np.sqrt(np.maximum(ahead - 2 * brake * path.arc_length, 0.0)))
    return np.concatenate(limits)


def _leaders(centre: np.ndarray, direction: np.ndarray, speed: np.ndarray, may_follow: np.ndarray,
             sizes: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gap (N,) to the nearest agent in each agent's way, and that agent's speed along its heading.

    In the way = reaching into the agent's lane ahead of it (the other box's extent projected onto
    the agent's heading and across it), now or PREDICTION_S from now. Of two agents in each other's
    way, the one nearer the crossing goes first; if both already block each other, the one of higher
    `rank` (car over cyclist over pedestrian) clears the conflict first."""
    n = len(centre)
    velocity = direction * speed[:, None]
    rel = centre[None, :, :] - centre[:, None, :]                        # rel[i, j] = c_j - c_i
    later = rel + (velocity[None, :, :] - velocity[:, None, :]) * PREDICTION_S
    normal = np.column_stack([-direction[:, 1], direction[:, 0]])
    cos_rel = direction @ direction.T
    sin_rel = np.abs(direction @ normal.T)
    along = 0.5 * (sizes[None, :, 0] * np.abs(cos_rel) + sizes[None, :, 1] * sin_rel)    # j's extent along i's heading
    across = 0.5 * (sizes[None, :, 0] * sin_rel + sizes[None, :, 1] * np.abs(cos_rel))
    corridor = 0.5 * sizes[:, None, 1] + across + LATERAL_MARGIN_M

    def in_way(r: np.ndarray) -> np.ndarray:
        lon = np.einsum("ijk,ik->ij", r, direction)
        lat = np.einsum("ijk,ik->ij", r, normal)
        return (lon + along > 0) & (lon < LOOKAHEAD_M) & (np.abs(lat) < corridor)

    lon = np.einsum("ijk,ik->ij", rel, direction)
    blocked = may_follow & in_way(rel)
    ahead = blocked | (may_follow & in_way(later))
    stand_off = blocked & blocked.T
    goes_first = np.where(stand_off & (rank[:, None] != rank[None, :]), rank[:, None] > rank[None, :], lon < lon.T)
    ahead &= ~(ahead & ahead.T & goes_first)
    gaps = np.where(ahead, lon - 0.5 * sizes[:, None, 0] - along, np.inf)
    leader = np.argmin(gaps, axis=1)
    gap = gaps[np.arange(n), leader]
    return gap, np.where(np.isfinite(gap), speed[leader] * cos_rel[np.arange(n), leader], 0.0)


def _red_signal_gap(road: RoadLayout, stops: np.ndarray, front: np.ndarray, speed: np.ndarray, t: float,
                    vehicle: np.ndarray, comfortable_brake: np.ndarray) -> np.ndarray:
    """Distance (N,) from each agent's front to the next stop line it must halt at (inf if none).
    stops (N, K, 3) as Route.stops, padded with inf. A vehicle too close to stop at twice its
    comfortable deceleration when the green ends goes on (the amber-light dilemma)."""
    to_line = stops[:, :, 0] - front[:, None]
    green_left = road.green_remaining(np.where(np.isfinite(stops[:, :, 1]), stops[:, :, 1], 0), t)
    may_go = green_left > np.maximum(stops[:, :, 2], 1e-9)
    cannot_stop = vehicle[:, None] & (speed[:, None] ** 2 / (4.0 * comfortable_brake[:, None]) > to_line + 0.5)
    return np.where((to_line > -1.0) & ~may_go & ~cannot_stop, to_line, np.inf).min(axis=1)


@dataclass
class TrafficHistory:
    """Arc length s, speed v (K+1, N) at t_k = k * STEP_S, acceleration a (K, N) held over each step,
    and which agents are on the road (K+1, N)."""

    population: Population
    paths: PathSet
    s: np.ndarray
    v: np.ndarray
    a: np.ndarray
    active: np.ndarray

    def _kinematics(self, t: float) -> tuple[int, np.ndarray, np.ndarray]:
        k = int(np.clip(np.floor(t / STEP_S + 1e-9), 0, len(self.a) - 1))
        tau = t - k * STEP_S
        return k, self.s[k] + self.v[k] * tau + 0.5 * self.a[k] * tau**2, self.v[k] + self.a[k] * tau

    def world_at(self, t: float) -> WorldState:
        """The road users (the ego excluded) on the road at t seconds after the start."""
        k, s, v = self._kinematics(t)
        agents = np.flatnonzero(self.active[k])
        agents = agents[agents > 0]
        pop = self.population
        xy, heading = self.paths.evaluate(pop.route_index[agents], s[agents])
        sizes = pop.sizes[agents]
        centers = np.column_stack([xy, 0.5 * sizes[:, 2]])
        velocities = np.column_stack([v[agents] * np.cos(heading), v[agents] * np.sin(heading), np.zeros(len(agents))])
        return WorldState(agents.astype(np.int64), pop.classes[agents], centers, velocities, wrap_angle(heading), sizes)

    def ego_waypoints(self) -> tuple[np.ndarray, np.ndarray]:
        """Times (K+1,) and ego base_link positions (K+1, 3) in the map frame, at every step."""
        xy, _ = self.paths.evaluate(np.zeros(len(self.s), dtype=int), self.s[:, 0])
        return np.arange(len(self.s)) * STEP_S, np.column_stack([xy, np.zeros(len(xy))])


def simulate_traffic(population: Population, paths: PathSet, road: RoadLayout, duration_s: float) -> TrafficHistory:
    """Step all agents with IDM for duration_s (plus one step, so every stamp in [0, duration] is covered)."""
    n = len(population)
    steps = int(np.ceil(duration_s / STEP_S)) + 1
    pop = population
    params = np.array([IDM[ObjectClass(c)] for c in pop.classes])
    a_max, b_comf, s0, headway = params[:, 0], params[:, 1], params[:, 2], params[:, 3]
    not_self = ~np.eye(n, dtype=bool)
    rank = np.array([RIGHT_OF_WAY_RANK[ObjectClass(c)] for c in pop.classes])
    half_length = 0.5 * pop.sizes[:, 0]
    speed_limit = _curve_speed_limit(pop, paths)
    n_stops = max(len(r.stops) for r in pop.routes)
    stops = np.full((n, max(n_stops, 1), 3), np.inf)
    for i, route in enumerate(pop.routes):
        stops[i, :len(route.stops)] = route.stops
    entry_xy, _ = paths.evaluate(pop.route_index, np.zeros(n))
    pedestrian = pop.classes == ObjectClass.PEDESTRIAN
    entry_clearance = np.where(pedestrian, 1.5, 12.0)

    s = np.where(np.isnan(pop.initial_s), 0.0, pop.initial_s)
    v = np.where(pop.release_time > 0, 0.0, pop.desired_speed)
    active = ~np.isnan(pop.initial_s)
    done = np.zeros(n, dtype=bool)
    stop_begin = np.full(n, np.nan)
    S, V, A, ACTIVE = [s.copy()], [v.copy()], [], [active.copy()]

    for k in range(steps - 1):
        t = k * STEP_S
        xy, heading = paths.evaluate(pop.route_index, s)
        direction = np.column_stack([np.cos(heading), np.sin(heading)])
        centre = xy + pop.ref_offset[:, None] * direction

        pending = np.flatnonzero(~active & ~done & (pop.spawn_time <= t))
        if pending.size:
            others = centre[active]
            for i in pending:  # enter only where the road end is clear
                if not len(others) or np.min(np.linalg.norm(others - entry_xy[i], axis=1)) > entry_clearance[i]:
                    active[i] = True
                    others = np.vstack([others, entry_xy[i]])

        gap, lead_speed = _leaders(centre, direction, v, active[:, None] & active[None, :] & not_self, pop.sizes, rank)

        # red signals and unscheduled stops act as standing obstacles at their stop lines
        front = s + pop.ref_offset + half_length
        signal_gap = _red_signal_gap(road, stops, front, v, t, ~pedestrian, b_comf)
        at_stop = (pop.stop_s - front > -1.0) & (pop.stop_s - front < s0 + 1.0) & (v < 0.2) & np.isnan(stop_begin)
        stop_begin[at_stop] = t
        stop_holds = (pop.stop_s - front > -1.0) & ~(t >= stop_begin + pop.stop_duration)
        stop_gap = np.where(stop_holds, pop.stop_s - front, np.inf)
        obstacle_gap = np.minimum(signal_gap, stop_gap)
        use_obstacle = obstacle_gap < gap
        gap = np.where(use_obstacle, obstacle_gap, gap)
        lead_speed = np.where(use_obstacle, 0.0, lead_speed)

        # IDM acceleration
        i_path, f_path = paths.locate(pop.route_index, s)
        desired = np.maximum(np.minimum(pop.desired_speed, PathSet.interpolate(speed_limit, i_path, f_path)), 0.1)
        dynamic_gap = s0 + np.maximum(0.0, v * headway + v * (v - lead_speed) / (2 * np.sqrt(a_max * b_comf)))
        interaction = np.where(np.isfinite(gap), (dynamic_gap / np.maximum(gap, MIN_GAP_M)) ** 2, 0.0)
        acc = a_max * (1.0 - (v / desired) ** 4 - interaction)
        acc = np.where(t < pop.release_time, -MAX_BRAKE_MPS2, acc)
        acc = np.maximum(np.clip(acc, -MAX_BRAKE_MPS2, a_max), -v / STEP_S)  # never reverse
        acc[~active] = 0.0

        s = np.where(active, s + v * STEP_S + 0.5 * acc * STEP_S**2, s)  # waiting entrants stay at the road end
        v = v + acc * STEP_S
        finished = active & (s >= paths.lengths[pop.route_index])
        done |= finished
        active = active & ~finished
        A.append(acc)
        S.append(s.copy())
        V.append(v.copy())
        ACTIVE.append(active.copy())
    return TrafficHistory(pop, paths, np.array(S), np.array(V), np.array(A), np.array(ACTIVE))
