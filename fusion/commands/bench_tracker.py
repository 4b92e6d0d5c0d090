"""`taishan bench tracker`: one full tracking cycle (predict, gate, associate, update, manage for a
lidar, a radar and a camera batch) at 10, 100 and 1,000 tracks, the batched engine against the
per-object filterpy engine on the same measurements in the same run.

Scene: datasets.evaluation.dense_scene (N objects around the ego, default vehicle's lidar_top,
radar_front and camera_front); tracker: configs/tracker.yaml. Figures per size: median ms per
cycle after 3 warm-up cycles for each engine, their ratio, and the number of tracks held."""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

SIZES = (10, 100, 1000)


def _time_cycles(tracker, cycles: list, warmup: int) -> float:
    """Median wall time [ms] of the cycles after `warmup`."""
    times = []
    for k, batches in enumerate(cycles):
        start = time.perf_counter()
        for batch in batches:
            tracker.step(batch)
        if k >= warmup:
            times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


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
    for n in tqdm(SIZES, desc="bench tracker", unit="size", file=sys.stderr):
        timed = 1 if args.quick else (3 if n >= 1000 else 10)
        scene = dense_scene(vehicle, n, seed=n)
        cycles = [scene.cycle(k) for k in range(warmup + timed)]
        result: dict[str, Any] = {}
        for engine in ("batched", "filterpy"):
            tracker = MultiObjectTracker(config, vehicle, scene.tree, engine=engine)
            result[f"{engine}_ms"] = round(_time_cycles(tracker, cycles, warmup), 3)
            result[f"{engine}_tracks"] = len(tracker.tracks)
        result["speedup"] = round(result["filterpy_ms"] / result["batched_ms"], 2)
        figures[str(n)] = {"batched_ms": result["batched_ms"], "filterpy_ms": result["filterpy_ms"],
                           "speedup": result["speedup"], "tracks": result["batched_tracks"],
                           "filterpy_tracks": result["filterpy_tracks"]}
    return figures


def register(groups) -> None:
    parser = groups.add_benchmark("tracker", "tracker cycle time at 10/100/1000 tracks: batched vs per-object filterpy", run)
    parser.add_argument("--config", metavar="PATH", help="tracker config (default: configs/tracker.yaml)")
