"""Planar paths for road users: corner polylines rounded with circular fillets, sampled densely, and
evaluated for many agents at once (each agent on its own path, at its own arc length)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_SPACING_M = 0.25


@dataclass(frozen=True)
class PathSamples:
    """A path sampled every ~SAMPLE_SPACING_M: points (K, 2), unwrapped heading (K,), signed
    curvature (K,) and arc length (K,) from the start."""

    points: np.ndarray
    heading: np.ndarray
    curvature: np.ndarray
    arc_length: np.ndarray

    @property
    def length(self) -> float:
        return float(self.arc_length[-1])


def _segment(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    length = float(np.linalg.norm(b - a))
    n = max(int(np.ceil(length / SAMPLE_SPACING_M)), 1)
    f = np.arange(n) / n
    direction = (b - a) / length
    heading = np.full(n, np.arctan2(direction[1], direction[0]))
    return a + f[:, None] * (b - a), heading, np.zeros(n)


def _arc(centre: np.ndarray, radius: float, start_angle: float, sweep: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points on a circle from start_angle (polar angle about centre) through sweep (signed, radians)."""
    n = max(int(np.ceil(abs(sweep) * radius / SAMPLE_SPACING_M)), 1)
    angles = start_angle + sweep * np.arange(n) / n
    points = centre + radius * np.column_stack([np.cos(angles), np.sin(angles)])
    turn = np.sign(sweep)
    return points, angles + turn * np.pi / 2, np.full(n, turn / radius)


def fillet_path(corners: np.ndarray, radii: np.ndarray | list[float]) -> PathSamples:
    """Sample the polyline through `corners` (M, 2) with corner i (1..M-2) rounded by a circular arc
    of radius radii[i-1]. Radii are shrunk where the adjacent segments are too short for them."""
    corners = np.asarray(corners, dtype=float)
    radii = np.asarray(radii, dtype=float)
    if len(corners) < 2 or len(radii) != len(corners) - 2:
        raise ValueError(f"need >= 2 corners and one radius per inner corner, got {len(corners)} corners, {len(radii)} radii")
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    cursor = corners[0]
    for i in range(1, len(corners) - 1):
        d_in = corners[i] - corners[i - 1]
        d_out = corners[i + 1] - corners[i]
        len_in, len_out = np.linalg.norm(d_in), np.linalg.norm(d_out)
        d_in, d_out = d_in / len_in, d_out / len_out
        cross = d_in[0] * d_out[1] - d_in[1] * d_out[0]
        turn = np.arctan2(cross, float(d_in @ d_out))
        if abs(turn) < 1e-9:
            continue
        tangent = np.tan(abs(turn) / 2)
        radius = min(radii[i - 1], 0.5 * len_in / tangent, 0.5 * len_out / tangent)
        start = corners[i] - radius * tangent * d_in
        normal = np.array([-d_in[1], d_in[0]]) * np.sign(turn)  # towards the arc's centre
        centre = start + radius * normal
        pieces.append(_segment(cursor, start))
        start_angle = np.arctan2(start[1] - centre[1], start[0] - centre[0])
        pieces.append(_arc(centre, radius, start_angle, turn))
        cursor = corners[i] + radius * tangent * d_out
    pieces.append(_segment(cursor, corners[-1]))
    points = np.concatenate([p[0] for p in pieces] + [corners[-1:]])
    heading = np.unwrap(np.concatenate([p[1] for p in pieces] + [pieces[-1][1][-1:]]))
    curvature = np.concatenate([p[2] for p in pieces] + [np.zeros(1)])
    arc_length = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    keep = np.concatenate([[True], np.diff(arc_length) > 1e-9])
    return PathSamples(points[keep], heading[keep], curvature[keep], arc_length[keep])


class PathSet:
    """Many paths concatenated so that positions of N agents at N arc lengths are one lookup."""

    def __init__(self, paths: list[PathSamples]):
        self.paths = paths
        self.lengths = np.array([p.length for p in paths])
        self._stride = float(self.lengths.max()) + 10.0
        counts = np.array([len(p.arc_length) for p in paths])
        self._first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self._last = self._first + counts - 1
        self._keys = np.concatenate([p.arc_length + i * self._stride for i, p in enumerate(paths)])
        self._points = np.concatenate([p.points for p in paths])
        self._heading = np.concatenate([p.heading for p in paths])

    def locate(self, path_index: np.ndarray, arc_length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sample index i and fraction f in [0, 1] of each (path, arc length) pair, lengths clamped
        to each path's ends: values there are v[i] + f * (v[i + 1] - v[i])."""
        path_index = np.asarray(path_index, dtype=int)
        s = np.clip(np.asarray(arc_length, dtype=float), 0.0, self.lengths[path_index])
        key = s + path_index * self._stride
        i = np.searchsorted(self._keys, key, side="right") - 1
        i = np.clip(i, self._first[path_index], self._last[path_index] - 1)
        span = self._keys[i + 1] - self._keys[i]
        return i, np.clip((key - self._keys[i]) / span, 0.0, 1.0)

    @staticmethod
    def interpolate(values: np.ndarray, i: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Values (one per sample of all paths, concatenated in path order) at located positions."""
        if values.ndim == 2:
            f = f[:, None]
        return values[i] + f * (values[i + 1] - values[i])

    def evaluate(self, path_index: np.ndarray, arc_length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points (N, 2) and headings (N,) (unwrapped, not wrapped to [-pi, pi)) at the given arc
        lengths (clamped to each path's ends) along the given paths."""
        i, f = self.locate(path_index, arc_length)
        return self.interpolate(self._points, i, f), self.interpolate(self._heading, i, f)
