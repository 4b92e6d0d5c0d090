"""Tracking fixtures: the default vehicle, tracker configs built from overrides, numerical Jacobians."""
from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from fusion.config.loader import config_dir, load_config, parse_config
from fusion.config.vehicle import VehicleConfig
from fusion.tracking.config import TrackerConfig, load_tracker_config


@pytest.fixture(scope="session")
def vehicle() -> VehicleConfig:
    return load_config(config_dir() / "vehicle.yaml", VehicleConfig)


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.fixture(scope="session")
def tracker_config():
    """tracker_config(**overrides) -> TrackerConfig: configs/tracker.yaml with nested overrides."""
    base = load_tracker_config().model_dump()

    def make(**overrides: Any) -> TrackerConfig:
        return parse_config(_merge(base, overrides), TrackerConfig, "test tracker config")

    return make


def numerical_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of f: (N, d) -> (N, m), as (N, m, d)."""
    cols = []
    for i in range(x.shape[1]):
        step = np.zeros_like(x)
        step[:, i] = eps
        cols.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.stack(cols, axis=-1)
