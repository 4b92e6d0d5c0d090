"""Evaluate tracker configurations on simulated scenarios: simulate, track, score with TrackEval.

Configurations compared in one run (same scenarios, same measurements):
- `kalman`: the tracker config as given (all its sensors, its motion model);
- `kalman_lidar_only`: the same with radar and camera switched off;
- `no_motion_baseline`: no motion model (static: position and yaw random walks, so detections are
  matched to where a track was last seen) with the lidar only.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets.evaluation.metrics import SequenceData, build_sequence, score
from datasets.evaluation.scenario_run import TrackerRun, run_tracker
from fusion.config.loader import parse_config
from fusion.tracking.config import TrackerConfig

VARIANTS = ("kalman", "kalman_lidar_only", "no_motion_baseline")


def scenario_config(path: str | Path | None, seed: int | None = None, duration_s: float | None = None):
    """The scenario config at `path` (default configs/scenario.yaml) with optional overrides."""
    from datasets.simulation.config import ScenarioConfig, load_scenario_config

    config = load_scenario_config(path)
    overrides = {k: v for k, v in (("seed", seed), ("duration_s", duration_s)) if v is not None}
    if not overrides:
        return config
    return parse_config({**config.model_dump(), **overrides}, ScenarioConfig, f"{path or 'scenario.yaml'} with overrides")


def variant(config: TrackerConfig, name: str) -> TrackerConfig:
    """One of VARIANTS derived from `config`."""
    data: dict[str, Any] = copy.deepcopy(config.model_dump())
    if name in ("kalman_lidar_only", "no_motion_baseline"):
        data["sensors"]["radar"]["enabled"] = data["sensors"]["camera"]["enabled"] = False
    if name == "no_motion_baseline":
        data["motion"]["model"] = "static"
        if data["filter"]["kind"] == "ukf":
            data["filter"]["kind"] = "ekf"
    return parse_config(data, TrackerConfig, f"tracker config, variant {name}")


@dataclass
class VariantResult:
    metrics: dict[str, Any]
    runs: list[TrackerRun]


def evaluate(scenarios: dict[str, Any], config: TrackerConfig, names: tuple[str, ...] = VARIANTS,
             max_distance_m: float = 4.0, progress: bool = False) -> dict[str, VariantResult]:
    """Run every named variant on every scenario and score it (TrackEval over all scenarios)."""
    results = {}
    for name in names:
        tracker_config = variant(config, name)
        sequences: dict[str, SequenceData] = {}
        runs = []
        for label, scenario in scenarios.items():
            run = run_tracker(scenario, tracker_config, progress=progress, label=f"{name} {label}")
            runs.append(run)
            sequences[label] = build_sequence(scenario.truth, run.frames, max_distance_m)
        metrics = score(sequences)
        duration = sum(s.config.duration_s for s in scenarios.values())
        seconds = sum(r.seconds for r in runs)
        metrics.update(tracker_seconds=round(seconds, 3), realtime_factor=round(duration / max(seconds, 1e-9), 2),
                       measurements=sum(r.measurements for r in runs))
        results[name] = VariantResult(metrics, runs)
    return results
