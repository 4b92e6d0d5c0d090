"""Helpers for the simulator tests: a standing sensor view, hand-made worlds, comparing events."""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from datasets.simulation.population import SIZE_MEAN
from datasets.simulation.scenario import SensorEvent
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


def same_value(a, b) -> bool:
    """Equal values of equal types (arrays: same dtype and contents, NaN equal to NaN)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    return type(a) is type(b) and (a == b or (a != a and b != b))


def assert_same_events(first: list[SensorEvent], second: list[SensorEvent]) -> None:
    """Event lists equal in order, arrival, measurement fields (types included) and truth ids."""
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert a.arrival_ns == b.arrival_ns and type(a.measurement) is type(b.measurement)
        for f in fields(a.measurement):
            assert same_value(getattr(a.measurement, f.name), getattr(b.measurement, f.name)), (a.sensor_id, a.stamp_ns, f.name)
        assert (a.truth_ids is None) == (b.truth_ids is None)
        assert a.truth_ids is None or np.array_equal(a.truth_ids, b.truth_ids)
