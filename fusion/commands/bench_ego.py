"""`taishan bench ego`: real-time factor of the ego ESKF against the filterpy UKF reference on the
same simulated drive (100 Hz IMU, 10 Hz GNSS, 50 Hz wheel speed), pinned to one CPU core.

`realtime_factor` is drive time / ESKF wall time (median over repeats); `cpu_realtime_factor` uses
the process's CPU time, which other processes competing for the core do not inflate (see
`load_average_1min`). `seconds_per_hour` extrapolates to one hour of data; the target is well
under a minute. `speedup_vs_ukf` is the ratio of the two filters' processing times on the same
messages.
"""
from __future__ import annotations

import argparse
import os
from typing import Any

TARGET_SECONDS_PER_HOUR = 60.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    import logging

    import numpy as np

    from datasets.simulation import drives
    from fusion.commands.bench_lidar import one_core
    from fusion.config.loader import config_dir, load_config
    from fusion.config.vehicle import VehicleConfig
    from fusion.ego.config import load_ego_config
    from fusion.ego.evaluation import run_drive

    logging.getLogger("fusion.ego").setLevel(logging.ERROR)
    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    config = load_ego_config()
    drive = drives.urban_short_drive(vehicle) if args.quick else drives.town_drive(vehicle)
    repeats = 1 if args.quick else 3
    load_before = os.getloadavg()[0]
    wall, cpu = [], []
    with one_core() as pinned:
        paired = run_drive(drive, vehicle, config, with_reference=True)
        for _ in range(repeats):
            alone = run_drive(drive, vehicle, config, with_reference=False)
            wall.append(alone.figures["processing_s"])
            cpu.append(alone.figures["processing_cpu_s"])
    eskf_s = float(np.median(wall))
    ukf_s = drive.duration_s / paired.figures["ukf_realtime_factor"]
    seconds_per_hour = 3600.0 / (drive.duration_s / eskf_s)
    return {
        "drive": drive.name,
        "drive_duration_s": drive.duration_s,
        "messages": len(drive.measurements),
        "realtime_factor": drive.duration_s / eskf_s,
        "cpu_realtime_factor": drive.duration_s / float(np.median(cpu)),
        "seconds_per_hour": seconds_per_hour,
        "meets_target": seconds_per_hour < TARGET_SECONDS_PER_HOUR,
        "ukf_realtime_factor": drive.duration_s / ukf_s,
        "speedup_vs_ukf": ukf_s / paired.figures["processing_s"],
        "eskf_ukf_rms_difference_m": paired.figures["eskf_ukf_rms_difference_m"],
        "repeats": repeats,
        "pinned_to_one_core": pinned,
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
    }


def register(groups) -> None:
    groups.add_benchmark("ego", "ego ESKF real-time factor vs the filterpy UKF reference on the same drive", run)
