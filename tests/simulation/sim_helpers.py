"""Helpers for the simulator tests: a standing sensor view and hand-made worlds."""
from __future__ import annotations

import numpy as np

from datasets.simulation.population import SIZE_MEAN
from datasets.simulation.sensor_model import SensorModel
from datasets.simulation.sensor_view import SensorView
from datasets.simulation.world import WorldState
from fusion.core.classes import ObjectClass


def standing_view(model: SensorModel, ego_velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> SensorView:
    """The sensor of an ego at the map origin facing +x, moving straight at ego_velocity (map frame)."""
    mount = model.base_from_sensor
    return SensorView(0, mount.translation, mount.rotation_matrix, np.asarray(ego_velocity, dtype=float))


def make_world(*objects: tuple) -> WorldState:
    """Objects as (id, class, x, y, vx, vy) on flat ground, heading along their velocity (or +x), mean size."""
    ids, classes, centers, velocities, yaws, sizes = [], [], [], [], [], []
    for track, cls, x, y, vx, vy in objects:
        size = np.array(SIZE_MEAN[ObjectClass(cls)])
        ids.append(track)
        classes.append(int(cls))
        centers.append([x, y, size[2] / 2])
        velocities.append([vx, vy, 0.0])
        yaws.append(np.arctan2(vy, vx) if (vx or vy) else 0.0)
        sizes.append(size)
    return WorldState(np.array(ids, dtype=np.int64), np.array(classes, dtype=np.int64), np.array(centers, dtype=float),
                      np.array(velocities, dtype=float), np.array(yaws), np.array(sizes))
