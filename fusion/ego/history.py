"""A short history of map -> base_link poses, so a consumer (the tracker) can ask for the ego pose
at any recent sensor stamp: that lookup is the ego-motion compensation between sensor stamps."""
from __future__ import annotations

import numpy as np

from fusion.core.errors import StampOrderError
from fusion.core.transform import Transform
from fusion.ego.eskf import matrix_to_quaternion, so3_exp


class PoseHistory:
    """Stamped positions and rotation matrices in a flat buffer that is compacted when full
    (append is a copy into preallocated arrays; lookups bisect the live window).

    It is fed the filter's own position (the IMU's) and rotation, and reports the pose of the point
    `lever` (body axes) away from it, base_link: moving the position there costs a matrix product,
    which only the (rare) lookups pay."""

    def __init__(self, capacity: int, lever: np.ndarray):
        self.capacity = max(int(capacity), 2)
        self.lever = np.asarray(lever, dtype=float)
        size = 2 * self.capacity
        self._stamps = np.zeros(size, dtype=np.int64)
        self._positions = np.zeros((size, 3))
        self._rotations = np.zeros((size, 3, 3))
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def clear(self) -> None:
        self._start = self._end = 0

    def append(self, stamp_ns: int, position: np.ndarray, rotation: np.ndarray) -> None:
        """Add a pose (of the point the lever starts from); stamps must increase (the estimator
        only moves forward in time)."""
        if self._end == len(self._stamps):
            keep = slice(self._end - self.capacity + 1, self._end)
            n = self.capacity - 1
            self._stamps[:n], self._positions[:n], self._rotations[:n] = (
                self._stamps[keep], self._positions[keep], self._rotations[keep])
            self._start, self._end = 0, n
        elif len(self) == self.capacity:
            self._start += 1
        self._stamps[self._end] = stamp_ns
        self._positions[self._end] = position
        self._rotations[self._end] = rotation
        self._end += 1

    @property
    def span_ns(self) -> tuple[int, int]:
        """Oldest and newest stamp held."""
        if not len(self):
            raise StampOrderError("ego pose history", "empty: the estimator is not initialised yet")
        return int(self._stamps[self._start]), int(self._stamps[self._end - 1])

    def pose_at(self, stamp_ns: int) -> Transform:
        """Interpolated pose at a stamp within the held span."""
        first, last = self.span_ns
        if not first <= stamp_ns <= last:
            raise StampOrderError("ego pose history", f"stamp {stamp_ns} outside the held poses [{first}, {last}]")
        stamps = self._stamps[self._start:self._end]
        i = int(np.searchsorted(stamps, stamp_ns, side="right")) - 1 + self._start
        if i == self._end - 1 or self._stamps[i] == stamp_ns:
            return Transform(self._moved(i), matrix_to_quaternion(self._rotations[i]))
        fraction = (stamp_ns - int(self._stamps[i])) / int(self._stamps[i + 1] - self._stamps[i])
        # Neighbouring samples are one IMU period apart: the relative rotation is tiny, so its
        # rotation vector is the skew part of the relative matrix (error of order angle^3).
        step = self._rotations[i].T @ self._rotations[i + 1]
        rotvec = 0.5 * np.array([step[2, 1] - step[1, 2], step[0, 2] - step[2, 0], step[1, 0] - step[0, 1]])
        rotation = self._rotations[i] @ so3_exp(fraction * rotvec)
        position = (1.0 - fraction) * self._moved(i) + fraction * self._moved(i + 1)
        return Transform(position, matrix_to_quaternion(rotation))

    def _moved(self, i: int) -> np.ndarray:
        """Position of the lever's end at entry i."""
        return self._positions[i] + self._rotations[i] @ self.lever
