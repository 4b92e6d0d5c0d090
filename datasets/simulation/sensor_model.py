"""What every simulated perception sensor shares: its config, mounting, stamps and the classes it
reports. Each model says which objects it could detect (`detectable`, no randomness: the ground
truth's visibility) and draws one measurement batch (`measure`) with the ids of the objects behind
each row (-1 for clutter and false positives)."""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from datasets.simulation.sensor_view import SensorView
from datasets.simulation.world import WorldState
from fusion.config.vehicle import CameraConfig, LidarConfig, RadarConfig
from fusion.core.classes import ObjectClass
from fusion.core.measurements import MeasurementBatch
from fusion.core.time import NS_PER_S
from fusion.core.transform import Transform

SIMULATED_CLASSES = np.array([ObjectClass.CAR, ObjectClass.BICYCLE, ObjectClass.PEDESTRIAN], dtype=np.int64)


class SensorModel(ABC):
    def __init__(self, name: str, config: CameraConfig | RadarConfig | LidarConfig, base_from_sensor: Transform):
        self.name = name
        self.config = config
        self.base_from_sensor = base_from_sensor

    @property
    def latency_ns(self) -> int:
        return int(round(self.config.latency_s * NS_PER_S))

    def stamps(self, start_ns: int, duration_s: float, rng: np.random.Generator) -> np.ndarray:
        """Acquisition stamps at the sensor's rate over [start, start + duration], with a random phase."""
        period = 1.0 / self.config.rate_hz
        times = rng.uniform(0.0, period) + np.arange(int(np.floor(duration_s * self.config.rate_hz)) + 1) * period
        return start_ns + np.round(times[times <= duration_s] * NS_PER_S).astype(np.int64)

    @abstractmethod
    def detectable(self, view: SensorView, world: WorldState) -> np.ndarray:
        """(N,) bool: objects in the field of view and range, visible enough to be detected."""

    @abstractmethod
    def measure(self, view: SensorView, world: WorldState, rng: np.random.Generator) -> tuple[MeasurementBatch, np.ndarray]:
        """One measurement batch at view.stamp_ns and the truth id of each row (-1: clutter)."""


def per_class(values: dict[ObjectClass, float | tuple[float, ...]]) -> np.ndarray:
    """A lookup table indexed by class value, `table[classes]` (NaN for classes not given)."""
    shape = np.shape(next(iter(values.values())))
    table = np.full((max(ObjectClass) + 1, *shape), np.nan)
    for cls, value in values.items():
        table[int(cls)] = value
    return table


def confuse_classes(classes: np.ndarray, probability: float, rng: np.random.Generator) -> np.ndarray:
    """Replace each class, with the given probability, by another simulated class."""
    swap = rng.random(len(classes)) < probability
    shift = rng.integers(1, len(SIMULATED_CLASSES), len(classes))
    slot = np.searchsorted(SIMULATED_CLASSES, classes)
    other = SIMULATED_CLASSES[(slot + shift) % len(SIMULATED_CLASSES)]
    return np.where(swap, other, classes)
