"""`taishan bench tracker`: one full tracking cycle (predict, gate, associate, update, manage for a
lidar, a radar and a camera batch) at 10, 100 and 1,000 tracks, the batched engine against the
per-object filterpy engine on the same measurements in the same run.

Scene: datasets.evaluation.dense_scene (N objects around the ego, default vehicle's lidar_top,
radar_front and camera_front); tracker: configs/tracker.yaml. Figures per size: median ms per
cycle after 3 warm-up cycles for each engine and their ratio, as CPU time of this process (what
`*_ms` and `speedup` report: steady on a shared machine) and as wall time (`*_wall_ms`), and the
number of tracks each engine holds."""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

SIZES = (10, 100, 1000)


def _time_cycles(tracker, cycles: list, warmup: int) -> tuple[float, float]:
    """Median CPU time and median wall time [ms] of the cycles after `warmup`."""
    cpu, wall = [], []
    for k, batches in enumerate(cycles):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        for batch in batches:
            tracker.step(batch)
        if k >= warmup:
            cpu.append(time.process_time() - start_cpu)
            wall.append(time.perf_counter() - start_wall)
    return 1e3 * float(np.median(cpu)), 1e3 * float(np.median(wall))


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tqdm import tqdm

    from datasets.evaluation.dense_scene import dense_scene
    from fusion.config.loader import config_dir, load_config
    from fusion.config.vehicle import VehicleConfig
    from fusion.tracking.config import load_tracker_config
    from fusion.tracking.tracker import MultiObjectTracker

    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    config = load_tracker_config(getattr(args, "config", None))
    warmup = 3
    figures: dict[str, Any] = {}
    sizes = [int(n) for n in str(getattr(args, "sizes", None) or ",".join(map(str, SIZES))).split(",")]
    for n in tqdm(sizes, desc="bench tracker", unit="size", file=sys.stderr):
        timed = 1 if args.quick else 10
        scene = dense_scene(vehicle, n, seed=n)
        cycles = [scene.cycle(k) for k in range(warmup + timed)]
        row: dict[str, Any] = {}
        for engine in ("batched", "filterpy"):
            tracker = MultiObjectTracker(config, vehicle, scene.tree, engine=engine)
            cpu, wall = _time_cycles(tracker, cycles, warmup)
            row[f"{engine}_ms"], row[f"{engine}_wall_ms"] = round(cpu, 3), round(wall, 3)
            row[f"{engine}_tracks"] = len(tracker.tracks)
        row["speedup"] = round(row["filterpy_ms"] / row["batched_ms"], 2)
        row["wall_speedup"] = round(row["filterpy_wall_ms"] / row["batched_wall_ms"], 2)
        figures[str(n)] = row
    return figures


def register(groups) -> None:
    parser = groups.add_benchmark("tracker", "tracker cycle time at 10/100/1000 tracks: batched vs per-object filterpy", run)
    parser.add_argument("--config", metavar="PATH", help="tracker config (default: configs/tracker.yaml)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated track counts")
