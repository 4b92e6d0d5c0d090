"""Two-point track initiation: an unassigned detection starts a track only when another unassigned one
lies within reach of it: one of an earlier scan, or one of the same scan close by.

Radar clutter (kerbs, poles, multipath) appears at new places scan after scan, one return at a time;
started one track per return, it fills the track table with tentative tracks that only die after
their misses, and every cycle pays for them. A real object returns near where it was, and a vehicle
often gives several returns at once: it starts its track on its second scan, or at once. The
detections that started nothing are kept `initiation_window_s` as seeds; a detection confirms a seed
within `initiation_radius_m` plus `initiation_speed_mps` times the time between them (the object may
have moved that far), and two of one scan confirm each other within `initiation_radius_m`. A
confirmed seed is used up, so one object starts one track.
"""
from __future__ import annotations

import numpy as np

from fusion.core.compiled import compiled
from fusion.tracking.config import SensorTracking


class TwoPointInitiation:
    """Seeds of one sensor kind (every sensor of that kind confirms every other's seeds)."""

    def __init__(self, settings: SensorTracking):
        self.radius = settings.initiation_radius_m
        self.speed = settings.initiation_speed_mps
        self.window_ns = round(settings.initiation_window_s * 1e9)
        self.points = np.zeros((0, 2))
        self.stamps = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.stamps)

    def confirm(self, points: np.ndarray, stamp_ns: int) -> np.ndarray:
        """Mask over `points` (K, 2), the tracking-frame positions of unassigned detections at stamp_ns:
        those confirming a seed or one another (they start tracks). The others become seeds; seeds
        older than the window and the confirmed ones are dropped."""
        confirmed, self.points, self.stamps = _confirm(self.points, self.stamps, np.ascontiguousarray(points, dtype=float),
                                                       stamp_ns, self.window_ns, self.radius, self.speed)
        return confirmed


@compiled
def _confirm(seeds, stamps, points, stamp_ns, window_ns, radius, speed):
    """(confirmed mask over points, the seeds kept, their stamps): seeds of an earlier stamp within
    the window confirm every point within radius + speed x elapsed (a confirming seed is used up),
    and points within radius of each other confirm each other."""
    n, m = len(points), len(seeds)
    confirmed = np.zeros(n, dtype=np.bool_)
    keep = np.zeros(m, dtype=np.bool_)
    for j in range(m):
        keep[j] = stamps[j] >= stamp_ns - window_ns
        if keep[j] and stamps[j] < stamp_ns:
            reach = radius + speed * (stamp_ns - stamps[j]) * 1e-9
            for i in range(n):
                if np.sqrt((points[i, 0] - seeds[j, 0]) ** 2 + (points[i, 1] - seeds[j, 1]) ** 2) <= reach:
                    confirmed[i] = True
                    keep[j] = False
    for i in range(n):             # two returns of one scan close together: an extended object
        for k in range(i + 1, n):
            if np.sqrt((points[i, 0] - points[k, 0]) ** 2 + (points[i, 1] - points[k, 1]) ** 2) <= radius:
                confirmed[i] = confirmed[k] = True
    count = keep.sum() + n - confirmed.sum()
    kept_points = np.empty((count, 2))
    kept_stamps = np.empty(count, dtype=np.int64)
    k = 0
    for j in range(m):
        if keep[j]:
            kept_points[k], kept_stamps[k] = seeds[j], stamps[j]
            k += 1
    for i in range(n):
        if not confirmed[i]:
            kept_points[k], kept_stamps[k] = points[i], stamp_ns
            k += 1
    return confirmed, kept_points, kept_stamps


_confirm(np.zeros((1, 2)), np.zeros(1, dtype=np.int64), np.zeros((1, 2)), 1, 1, 1.0, 1.0)   # load at import (fusion.core.compiled)
