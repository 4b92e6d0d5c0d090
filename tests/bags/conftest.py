"""Fixtures for the bag tests: one short simulated drive, recorded once per session."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_ROS_PYTHON = REPO / ".venv-ros" / "bin" / "python"


@pytest.fixture(scope="session")
def graph_configs():
    from fusion.graph.build import GraphConfigs

    return GraphConfigs.load()


@pytest.fixture(scope="session")
def scenario(graph_configs):
    from datasets.simulation.config import ScenarioConfig
    from datasets.simulation.scenario import simulate_scenario

    return simulate_scenario(ScenarioConfig(duration_s=8.0, lidar_points=True), graph_configs.vehicle)


@pytest.fixture(scope="session")
def sim_bag(scenario, tmp_path_factory) -> Path:
    from datasets.bags.simulation import write_scenario_bag

    path = tmp_path_factory.mktemp("sim") / "drive.mcap"
    write_scenario_bag(scenario, path)
    return path


@pytest.fixture(scope="session")
def venv_ros() -> Path:
    if not VENV_ROS_PYTHON.exists():
        pytest.skip(f"{VENV_ROS_PYTHON} is absent: run tools/bootstrap_ros.sh to test with real rclpy")
    return VENV_ROS_PYTHON
