"""Two-point track initiation: an unassigned detection starts a track only when an unassigned one of
an earlier scan lies within reach of it.

Radar clutter (kerbs, poles, multipath) appears at new places scan after scan; started one track per
return, it fills the track table with tentative tracks that only die after their misses, and every
cycle pays for them. A real object returns near where it was: it starts its track on its second scan.
The detections that started nothing are kept `initiation_window_s` as seeds; a detection confirms a
seed within `initiation_radius_m` plus `initiation_speed_mps` times the time between them (the
object may have moved that far). A confirmed seed is used up, so one object starts one track.
"""
from __future__ import annotations

import numpy as np

from fusion.tracking.config import SensorTracking
from fusion.tracking.geometry import near_pairs


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
        those confirming a seed (they start tracks). The others become seeds; seeds older than the
        window and the confirmed ones are dropped."""
        kept = self.stamps >= stamp_ns - self.window_ns
        seeds, stamps = self.points[kept], self.stamps[kept]
        confirmed = np.zeros(len(points), dtype=bool)
        used = np.zeros(len(seeds), dtype=bool)
        earlier = stamps < stamp_ns
        if earlier.any() and len(points):
            reach = self.radius + self.speed * (stamp_ns - stamps) * 1e-9
            i, j, distance = near_pairs(points, seeds, float(reach[earlier].max()))
            within = (distance <= reach[j]) & earlier[j]
            confirmed[i[within]] = True
            used[j[within]] = True
        self.points = np.concatenate([seeds[~used], points[~confirmed]])
        self.stamps = np.concatenate([stamps[~used], np.full(int((~confirmed).sum()), stamp_ns, dtype=np.int64)])
        return confirmed
