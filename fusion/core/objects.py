"""The tracked object list: one struct of arrays per stamp, so 1,000 objects are a few arrays.

Kinematics are in `frame_id` (a world frame such as `map`, or `base_link`): position, velocity and
acceleration (N, 3), yaw and yaw rate (N,), with pose covariance over (x, y, z, yaw) and twist
covariance over (vx, vy, vz, yaw_rate), as autoware_perception_msgs/TrackedObjectKinematics carries.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import Any, Iterator

import numpy as np

from fusion.core.classes import NUM_CLASSES, ObjectClass
from fusion.core.errors import InputError


class TrackStatus(IntEnum):
    TENTATIVE = 0
    CONFIRMED = 1
    COASTING = 2


def _zeros(*shape: int) -> np.ndarray:
    return np.zeros(shape)


@dataclass
class ObjectList:
    """Tracked objects at one stamp. Every array has N rows; `sensor_names` decodes `sensor_mask`
    (bit i set = sensor_names[i] contributed to the track)."""

    stamp_ns: int
    frame_id: str
    track_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    classes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    class_probabilities: np.ndarray = field(default_factory=lambda: _zeros(0, NUM_CLASSES))
    position: np.ndarray = field(default_factory=lambda: _zeros(0, 3))
    velocity: np.ndarray = field(default_factory=lambda: _zeros(0, 3))
    acceleration: np.ndarray = field(default_factory=lambda: _zeros(0, 3))
    yaw: np.ndarray = field(default_factory=lambda: _zeros(0))
    yaw_rate: np.ndarray = field(default_factory=lambda: _zeros(0))
    pose_covariance: np.ndarray = field(default_factory=lambda: _zeros(0, 4, 4))
    twist_covariance: np.ndarray = field(default_factory=lambda: _zeros(0, 4, 4))
    size: np.ndarray = field(default_factory=lambda: _zeros(0, 3))
    existence_probability: np.ndarray = field(default_factory=lambda: _zeros(0))
    age_s: np.ndarray = field(default_factory=lambda: _zeros(0))
    status: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sensor_mask: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sensor_names: tuple[str, ...] = ()

    _ARRAYS = ("track_ids", "classes", "class_probabilities", "position", "velocity", "acceleration", "yaw",
               "yaw_rate", "pose_covariance", "twist_covariance", "size", "existence_probability", "age_s",
               "status", "sensor_mask")

    def __post_init__(self) -> None:
        n = len(self.track_ids)
        for name in self._ARRAYS:
            if len(getattr(self, name)) != n:
                raise InputError("object list", f"array {name!r} has {len(getattr(self, name))} rows, expected {n}")
        if len(np.unique(self.track_ids)) != n:
            raise InputError("object list", "duplicate track ids")

    def __len__(self) -> int:
        return len(self.track_ids)

    def sensors_of(self, i: int) -> list[str]:
        """Names of the sensors that contributed to object i."""
        mask = int(self.sensor_mask[i])
        return [name for bit, name in enumerate(self.sensor_names) if mask >> bit & 1]

    def select(self, keep: np.ndarray) -> ObjectList:
        """A new list with the rows selected by a boolean mask or index array."""
        kwargs = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in self._ARRAYS:
            kwargs[name] = getattr(self, name)[keep]
        return ObjectList(**kwargs)

    def records(self) -> Iterator[dict[str, Any]]:
        """One JSON-ready dict per object."""
        for i in range(len(self)):
            yield {
                "track_id": int(self.track_ids[i]),
                "class": ObjectClass(int(self.classes[i])).name.lower(),
                "class_probabilities": {c.name.lower(): round(float(p), 4) for c, p in zip(ObjectClass, self.class_probabilities[i]) if p > 0},
                "position": self.position[i].round(4).tolist(),
                "velocity": self.velocity[i].round(4).tolist(),
                "acceleration": self.acceleration[i].round(4).tolist(),
                "yaw": round(float(self.yaw[i]), 5),
                "yaw_rate": round(float(self.yaw_rate[i]), 5),
                "position_std": np.sqrt(np.diag(self.pose_covariance[i])[:3]).round(4).tolist(),
                "velocity_std": np.sqrt(np.diag(self.twist_covariance[i])[:3]).round(4).tolist(),
                "size": self.size[i].round(3).tolist(),
                "existence_probability": round(float(self.existence_probability[i]), 4),
                "age_s": round(float(self.age_s[i]), 3),
                "status": TrackStatus(int(self.status[i])).name.lower(),
                "sensors": self.sensors_of(i),
            }

    def to_dict(self) -> dict[str, Any]:
        return {"stamp_ns": int(self.stamp_ns), "frame_id": self.frame_id, "objects": list(self.records())}
