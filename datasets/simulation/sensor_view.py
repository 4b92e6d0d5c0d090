"""Where a vehicle-mounted sensor is, and how it moves, at stamps of the ego trajectory
(linear interpolation of position and velocities, slerp of orientation between trajectory samples),
computed for all of a sensor's stamps at once."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datasets.simulation.ego_trajectory import EgoTrajectory
from fusion.core import quaternion as quat
from fusion.core.errors import InputError
from fusion.core.transform import Transform


@dataclass(frozen=True)
class SensorView:
    """The sensor at `stamp_ns`: origin (3,) and rotation matrix R_map_sensor (3, 3) in the map frame,
    and the map-frame velocity (3,) of its origin."""

    stamp_ns: int
    origin: np.ndarray
    rotation: np.ndarray
    velocity: np.ndarray

    def to_sensor(self, points_map: np.ndarray) -> np.ndarray:
        """Map-frame points (..., 3) in the sensor frame."""
        return (np.asarray(points_map) - self.origin) @ self.rotation

    def vectors_to_sensor(self, vectors_map: np.ndarray) -> np.ndarray:
        return np.asarray(vectors_map) @ self.rotation

    def vectors_to_map(self, vectors_sensor: np.ndarray) -> np.ndarray:
        return np.asarray(vectors_sensor) @ self.rotation.T


def _bracket(ego: EgoTrajectory, stamps_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trajectory sample index i and fraction f of each stamp (stamp = stamps[i] + f * step)."""
    stamps = np.asarray(stamps_ns, dtype=np.int64)
    if stamps.size and (stamps.min() < ego.stamps_ns[0] or stamps.max() > ego.stamps_ns[-1]):
        raise InputError("ego trajectory", f"stamps [{stamps.min()}, {stamps.max()}] outside the trajectory [{ego.stamps_ns[0]}, {ego.stamps_ns[-1]}]")
    i = np.clip(np.searchsorted(ego.stamps_ns, stamps, side="right") - 1, 0, len(ego.stamps_ns) - 2)
    return i, (stamps - ego.stamps_ns[i]) / (ego.stamps_ns[i + 1] - ego.stamps_ns[i])


def _poses(ego: EgoTrajectory, base_from_sensor: Transform, i: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    position = ego.position[i] + f[:, None] * (ego.position[i + 1] - ego.position[i])
    base_rotation = quat.slerp(ego.orientation[i], ego.orientation[i + 1], f)
    origins = position + quat.rotate(base_rotation, np.broadcast_to(base_from_sensor.translation, position.shape))
    rotations = quat.multiply(base_rotation, np.broadcast_to(base_from_sensor.rotation, base_rotation.shape))
    return origins, rotations, base_rotation


def sensor_poses(ego: EgoTrajectory, base_from_sensor: Transform, stamps_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sensor origins (M, 3) and orientations (M, 4, quaternions x y z w) in the map frame at M stamps."""
    origins, rotations, _ = _poses(ego, base_from_sensor, *_bracket(ego, stamps_ns))
    return origins, rotations


def sensor_views(ego: EgoTrajectory, base_from_sensor: Transform, stamps_ns: np.ndarray) -> list[SensorView]:
    """The sensor's pose and velocity at each stamp: v_sensor = v_base + R_map_base (w_base x t_base_sensor)."""
    i, f = _bracket(ego, stamps_ns)
    origins, rotations, base_rotation = _poses(ego, base_from_sensor, i, f)
    w = f[:, None]
    velocity = ego.velocity[i] + w * (ego.velocity[i + 1] - ego.velocity[i])
    omega = ego.angular_velocity[i] + w * (ego.angular_velocity[i + 1] - ego.angular_velocity[i])
    velocity = velocity + quat.rotate(base_rotation, np.cross(omega, base_from_sensor.translation))
    matrices = quat.to_matrix(rotations)
    return [SensorView(int(s), o, r, v) for s, o, r, v in zip(np.asarray(stamps_ns), origins, matrices, velocity)]
