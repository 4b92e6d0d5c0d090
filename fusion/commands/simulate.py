"""`taishan simulate`: a deterministic multi-sensor traffic scenario (camera, radar, lidar, IMU, GNSS
measurements in arrival order, with ground truth and the ego trajectory) written to a directory
that `datasets.simulation.io.load_scenario` reads back."""
from __future__ import annotations

import argparse
import time
from pathlib import Path


def register(groups) -> None:
    from fusion.config.loader import config_dir

    parser = groups.add("simulate", "simulate a multi-sensor traffic scenario with ground truth", description=__doc__)
    parser.add_argument("--config", type=Path, default=config_dir() / "scenario.yaml", help="scenario config (traffic, road, ego drive, seed)")
    parser.add_argument("--vehicle", type=Path, default=config_dir() / "vehicle.yaml", help="vehicle config (sensors, mounts, noise)")
    parser.add_argument("--seed", type=int, help="override the config's random seed")
    parser.add_argument("--duration", type=float, metavar="S", help="override the config's duration in seconds")
    parser.add_argument("--lidar-points", action="store_true", help="also ray-cast lidar point clouds (larger and slower)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory (manifest.json + scenario.npz), or NAME.mcap / NAME.db3 for a rosbag2 bag")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from datasets.simulation.config import ScenarioConfig, load_scenario_config
    from datasets.bags.simulation import simulate_to_bag
    from datasets.simulation.io import save_scenario
    from datasets.simulation.scenario import simulate_scenario
    from fusion.config.loader import load_config, parse_config
    from fusion.config.vehicle import VehicleConfig

    config = load_scenario_config(args.config)
    overrides = {key: value for key, value in (("seed", args.seed), ("duration_s", args.duration)) if value is not None}
    if args.lidar_points:
        overrides["lidar_points"] = True
    if overrides:
        config = parse_config({**config.model_dump(), **overrides}, ScenarioConfig, f"{args.config} with command-line overrides")
    vehicle = load_config(args.vehicle, VehicleConfig)

    began = time.perf_counter()
    scenario = simulate_scenario(config, vehicle, progress=True)
    elapsed = time.perf_counter() - began
    if simulate_to_bag(scenario, args.out):
        return 0
    manifest = save_scenario(scenario, args.out)

    summary = scenario.summary()
    print(f"simulated {summary['duration_s']:g} s (seed {summary['seed']}) in {elapsed:.1f} s: {summary['events']} measurements")
    print("events per sensor:")
    for sensor, count in summary["events_per_sensor"].items():
        print(f"  {sensor:<32} {count:>7}")
    users = ", ".join(f"{count} {name}" for name, count in summary["road_users_per_class"].items())
    print(f"road users: {users}; {summary['road_users_seen']} seen by a sensor, "
          f"{summary['visible_per_truth_frame']:.1f} visible per truth frame on average")
    print(f"ego drove {summary['ego_distance_m']:.0f} m")
    print(f"wrote {manifest.parent} ({manifest.name}, scenario.npz)")
    return 0
