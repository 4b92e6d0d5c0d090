"""Wheel-speed odometry as a measurement: the forward speed of base_link (the rear-axle centre)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from fusion.core.errors import InputError
from fusion.core.measurements import MeasurementBatch


@dataclass
class WheelSpeed(MeasurementBatch):
    """Forward speed [m/s] of base_link along its x axis (negative when reversing), e.g. the mean of
    the rear wheel speeds from the vehicle bus, with its standard deviation (0 = use the configured one)."""

    speed_mps: float = 0.0
    std_mps: float = 0.0

    def __post_init__(self) -> None:
        self._check_header()
        for name in ("speed_mps", "std_mps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(self.source, f"field {name!r} must be a finite number, got {value!r}")
            setattr(self, name, float(value))
        if self.std_mps < 0:
            raise InputError(self.source, f"field 'std_mps' must be >= 0, got {self.std_mps}")
