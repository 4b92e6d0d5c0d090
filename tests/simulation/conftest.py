"""Fixtures for the scenario simulator tests: the default vehicle, a short scenario, the sensor models."""
from __future__ import annotations

import pytest

from datasets.simulation.config import ScenarioConfig, load_scenario_config
from datasets.simulation.scenario import Scenario, perception_models, simulate_scenario
from datasets.simulation.sensor_model import SensorModel
from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig


@pytest.fixture(scope="session")
def vehicle() -> VehicleConfig:
    return load_config(config_dir() / "vehicle.yaml", VehicleConfig)


@pytest.fixture(scope="session")
def short_config() -> ScenarioConfig:
    """The shipped scenario, cut to 4 s."""
    return load_scenario_config().model_copy(update={"duration_s": 4.0})


@pytest.fixture(scope="session")
def short_scenario(short_config: ScenarioConfig, vehicle: VehicleConfig) -> Scenario:
    return simulate_scenario(short_config, vehicle)


@pytest.fixture(scope="session")
def models(vehicle: VehicleConfig) -> dict[str, SensorModel]:
    return {m.name: m for m in perception_models(vehicle)}
