"""`taishan eval sim`: the tracker on simulated scenarios, scored with TrackEval (HOTA, MOTA, IDSW, IDF1 on
bird's-eye-view centre distance) plus the RMSE of matched tracks' position and velocity, against a
no-motion-model baseline and a lidar-only tracker in the same run (datasets.evaluation.sim_eval)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

COLUMNS = {"HOTA": "HOTA", "DetA": "DetA", "AssA": "AssA", "MOTA": "MOTA", "IDSW": "IDSW", "IDF1": "IDF1",
           "position_rmse_m": "pos RMSE m", "velocity_rmse_mps": "vel RMSE m/s", "realtime_factor": "x real time"}


def print_table(results: dict[str, dict]) -> None:
    print(f"{'configuration':<20}" + "".join(f"{label:>13}" for label in COLUMNS.values()))
    for name, metrics in results.items():
        cells = "".join(f"{metrics[c]:>13.3f}" if isinstance(metrics[c], float) else f"{metrics[c]:>13}" for c in COLUMNS)
        print(f"{name:<20}" + cells)


def register(groups) -> None:
    from fusion.config.loader import config_dir

    parser = groups.add_to_group("eval", "sim", "score the tracker on simulated scenarios (TrackEval HOTA/MOTA/IDSW, RMSE)",
                                 description=__doc__)
    parser.add_argument("--scenario", type=Path, default=config_dir() / "scenario.yaml", help="scenario config")
    parser.add_argument("--vehicle", type=Path, default=config_dir() / "vehicle.yaml", help="vehicle config")
    parser.add_argument("--tracker", type=Path, default=config_dir() / "tracker.yaml", help="tracker config")
    parser.add_argument("--seeds", default="7,8,9", help="comma-separated scenario seeds (one scenario each)")
    parser.add_argument("--duration", type=float, metavar="S", help="override the scenario duration in seconds")
    parser.add_argument("--max-distance", type=float, default=4.0, metavar="M",
                        help="centre distance at which similarity reaches 0 (CLEAR matches within half of it)")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from datasets.evaluation.sim_eval import evaluate, scenario_config
    from datasets.simulation.scenario import simulate_scenario
    from fusion.config.loader import load_config
    from fusion.config.vehicle import VehicleConfig
    from fusion.core.errors import InputError
    from fusion.tracking.config import load_tracker_config

    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        raise InputError("--seeds", f"expected comma-separated integers, got {args.seeds!r}") from None
    if not seeds:
        raise InputError("--seeds", "no seed given")
    vehicle = load_config(args.vehicle, VehicleConfig)
    tracker = load_tracker_config(args.tracker)
    scenarios = {}
    for seed in seeds:
        print(f"simulating seed {seed} ...", file=sys.stderr, flush=True)
        scenarios[f"seed{seed}"] = simulate_scenario(scenario_config(args.scenario, seed, args.duration), vehicle, progress=True)
    results = evaluate(scenarios, tracker, max_distance_m=args.max_distance, progress=True)
    figures = {name: r.metrics for name, r in results.items()}
    print(f"{len(seeds)} scenario(s), seeds {seeds}, {sum(s.config.duration_s for s in scenarios.values()):g} s simulated; "
          f"tracker: {tracker.motion.model} / {tracker.filter.kind}; match distance {args.max_distance / 2:g} m")
    print_table(figures)
    if args.json:
        out = {**figures, "setup": {"seeds": seeds, "max_distance_m": args.max_distance, "motion": tracker.motion.model,
                                    "filter": tracker.filter.kind}}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0
