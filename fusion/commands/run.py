"""`taishan run` (what `make run` does): simulate the default scenario, track it with the multi-sensor
tracker (ego pose from the simulated ground-truth trajectory), score it against the ground truth, and
write the object list of every truth frame (objects.jsonl, one JSON object per line) and summary.json
to --out."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def register(groups) -> None:
    from fusion.config.loader import config_dir

    parser = groups.add("run", "simulate the default scenario, track it, print metrics and write the object lists",
                        description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out/run"), metavar="DIR", help="output directory")
    parser.add_argument("--scenario", type=Path, default=config_dir() / "scenario.yaml", help="scenario config")
    parser.add_argument("--vehicle", type=Path, default=config_dir() / "vehicle.yaml", help="vehicle config")
    parser.add_argument("--tracker", type=Path, default=config_dir() / "tracker.yaml", help="tracker config")
    parser.add_argument("--duration", type=float, metavar="S", help="override the scenario duration in seconds")
    parser.add_argument("--max-distance", type=float, default=4.0, metavar="M",
                        help="metrics: centre distance at which similarity reaches 0 (CLEAR matches within half of it)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from datasets.evaluation.metrics import build_sequence, score
    from datasets.evaluation.scenario_run import run_tracker
    from datasets.evaluation.sim_eval import scenario_config
    from datasets.simulation.scenario import simulate_scenario
    from fusion.config.loader import load_config
    from fusion.config.vehicle import VehicleConfig
    from fusion.tracking.config import load_tracker_config

    began = time.perf_counter()
    vehicle = load_config(args.vehicle, VehicleConfig)
    tracker_config = load_tracker_config(args.tracker)
    scenario = simulate_scenario(scenario_config(args.scenario, duration_s=args.duration), vehicle, progress=True)
    simulated = time.perf_counter() - began
    result = run_tracker(scenario, tracker_config, progress=True)
    metrics = score({"scenario": build_sequence(scenario.truth, result.frames, args.max_distance)})

    args.out.mkdir(parents=True, exist_ok=True)
    objects_path = args.out / "objects.jsonl"
    tmp = objects_path.with_suffix(".jsonl.tmp")
    with tmp.open("w") as f:
        for frame in result.frames:
            f.write(json.dumps(frame.to_dict()) + "\n")
    tmp.replace(objects_path)
    sim = scenario.summary()
    summary = {
        "scenario": sim,
        "tracker": {"motion": tracker_config.motion.model, "filter": tracker_config.filter.kind,
                    "frame_id": tracker_config.frame_id, "sensors": sorted(result.events_by_sensor)},
        "metrics": metrics,
        "timing": {"simulate_s": round(simulated, 2), "track_s": round(result.seconds, 2),
                   "realtime_factor": round(scenario.config.duration_s / max(result.seconds, 1e-9), 1),
                   "total_s": round(time.perf_counter() - began, 2)},
        "diagnostics": result.diagnostics,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")

    mean_objects = sum(len(f) for f in result.frames) / max(len(result.frames), 1)
    reported = len({int(i) for f in result.frames for i in f.track_ids})
    print(f"simulated {sim['duration_s']:g} s of traffic (seed {sim['seed']}): {sim['events']} measurements, "
          f"{sim['road_users_seen']} road users seen, ego drove {sim['ego_distance_m']:.0f} m  [{simulated:.1f} s]")
    print(f"tracked {result.measurements} camera/radar/lidar batches with {tracker_config.motion.model.upper()} "
          f"{tracker_config.filter.kind.upper()} in {result.seconds:.1f} s "
          f"({summary['timing']['realtime_factor']:g}x real time); {mean_objects:.1f} objects per frame, "
          f"{reported} tracks reported ({result.diagnostics['tracks_created']} started, "
          f"{result.diagnostics['tracks_deleted'].get('tentative_lost', 0)} of them lost before confirmation)")
    print(f"HOTA {metrics['HOTA']:.3f}  DetA {metrics['DetA']:.3f}  AssA {metrics['AssA']:.3f}  MOTA {metrics['MOTA']:.3f}  "
          f"IDSW {metrics['IDSW']}  IDF1 {metrics['IDF1']:.3f}  position RMSE {metrics['position_rmse_m']:.2f} m  "
          f"velocity RMSE {metrics['velocity_rmse_mps']:.2f} m/s")
    rejected = result.diagnostics["rejected"]
    if rejected:
        print("rejected: " + ", ".join(f"{n} {reason}" for reason, n in sorted(rejected.items())))
    print(f"wrote {objects_path} and {args.out / 'summary.json'}")
    return 0
