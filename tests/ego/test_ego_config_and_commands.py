"""configs/ego.yaml validation, the evaluation summary and plot, and the command registration."""
from __future__ import annotations

import argparse
import logging

import numpy as np
import pytest

from datasets.simulation import drives
from datasets.simulation.ego_trajectory import EgoTrajectory, Segment
from fusion.cli import CommandGroups
from fusion.config.loader import config_dir, load_config, parse_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.errors import ConfigError
from fusion.ego.config import EgoConfig, load_ego_config
from fusion.ego.estimator import EgoEstimator
from fusion.ego.evaluation import run_drive, summarise


def test_shipped_config_loads() -> None:
    config = load_ego_config()
    assert config.imu_sensor == "imu" and config.nhc.enabled and config.init.heading_source == "gnss"


def test_wheel_speed_is_part_of_the_shipped_vehicle_only_and_checked() -> None:
    from fusion.graph.ego import EgoNode
    from fusion.graph.topics import WHEEL_SPEED

    shipped = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    assert shipped.wheel_speed.enabled and shipped.wheel_speed.rate_hz == 50.0
    assert WHEEL_SPEED in EgoNode(load_ego_config(), shipped).inputs
    kitti = load_config(config_dir() / "kitti_replay" / "vehicle.yaml", VehicleConfig)   # has no wheel_speed section
    assert not kitti.wheel_speed.enabled
    blind = shipped.model_copy(update={"wheel_speed": kitti.wheel_speed})
    assert WHEEL_SPEED not in EgoNode(load_ego_config(), blind).inputs
    raw = shipped.model_dump()
    raw["wheel_speed"]["scale_error"] = 0.5
    with pytest.raises(ConfigError, match=r"wheel_speed\.scale_error"):
        parse_config(raw, VehicleConfig, "vehicle.yaml")


def test_misspelt_key_is_named_with_its_path(tmp_path) -> None:
    path = tmp_path / "ego.yaml"
    path.write_text("/**:\n  ros__parameters:\n    zupt:\n      velocty_std_mps: 0.1\n")
    with pytest.raises(ConfigError, match=r"zupt\.velocty_std_mps: unknown key"):
        load_config(path, EgoConfig)


def test_out_of_range_and_cross_field_problems() -> None:
    with pytest.raises(ConfigError, match=r"gnss\.gate_probability"):
        parse_config({"gnss": {"gate_probability": 1.5}}, EgoConfig, "test")
    with pytest.raises(ConfigError, match=r"init\.static_window_s: must not exceed"):
        parse_config({"init": {"static_window_s": 6.0, "max_wait_s": 2.0}}, EgoConfig, "test")


def test_unknown_sensor_names_are_config_errors() -> None:
    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    with pytest.raises(ConfigError, match="no gnss sensor named 'gps'"):
        EgoEstimator(parse_config({"gnss_sensor": "gps"}, EgoConfig, "test"), vehicle)


def test_summary_targets_and_plot(tmp_path) -> None:
    from fusion.commands.eval_ego import plot

    logging.getLogger("fusion.ego").setLevel(logging.ERROR)
    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    trajectory = EgoTrajectory.scripted([Segment(6, 10, 0.0), Segment(6, 8, 0.15), Segment(6, 10, 0.0)], initial_speed_mps=9.0)
    runs = [run_drive(drives.simulate_drive(f"drive{k}", trajectory, vehicle, seed=k, outages=[(10.0, 14.0)]),
                      vehicle, load_ego_config(), with_reference=False) for k in range(2)]
    summary = summarise(runs)
    for key in ("pos_rmse_m", "gnss_only_rmse_m", "heading_rmse_deg", "outage_drift_m", "outage_distance_m", "realtime_factor"):
        assert np.isfinite(summary[key]), key
    assert summary["outage_distance_m"] == pytest.approx(4.0 * 9.0, rel=0.3)
    assert summary["targets"]["pos_rmse_within_half_gnss"]
    assert "reference_ukf" not in summary
    plot(runs, tmp_path / "ego.png")
    assert (tmp_path / "ego.png").stat().st_size > 10_000


def test_commands_register() -> None:
    from fusion.commands import bench_ego, eval_ego

    parser = argparse.ArgumentParser()
    groups = CommandGroups(parser.add_subparsers(dest="command"))
    eval_ego.register(groups)
    bench_ego.register(groups)
    args = parser.parse_args(["eval", "ego", "--json", "out/x.json", "--no-reference"])
    assert args.func is eval_ego.run and args.no_reference and args.json == "out/x.json"
    assert "ego" in groups.benchmarks
