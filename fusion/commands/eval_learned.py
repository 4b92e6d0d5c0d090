"""`taishan eval association` and `taishan eval bev`: the learned models against their baselines on
the same data.

association: `taishan eval kitti` twice over the folder a `taishan train association` run was trained
on (PointRCNN lidar boxes, the tracker settings the run was trained with), Kalman-only and with
`--association learned --checkpoint RUN` (each sequence tracked by the model of the fold that held
it out), shown side by side (HOTA, DetA, AssA, MOTA, IDSW per class).

bev: simulated test scenes (seeds never used in training) through the learned detector and the
classical lidar front-end; bird's-eye-view AP per class (pycocotools with rotated-box IoU), and the
tracker run on each detector's boxes in place of the simulated lidar boxes (TrackEval HOTA, MOTA).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


ASSOCIATION_COLUMNS = ("HOTA", "DetA", "AssA", "MOTA", "IDSW")


def register(groups) -> None:
    from fusion.commands.eval_kitti import parse_classes
    from fusion.config.loader import config_dir

    parser = groups.add_to_group("eval", "association", "learned vs Kalman-only association on held-out KITTI sequences",
                                 description=__doc__)
    parser.add_argument("--data", required=True, type=Path, help="KITTI tracking folder the run was trained on")
    parser.add_argument("--run", required=True, type=Path, help="folder of `taishan train association` (folds.json, folds/)")
    parser.add_argument("--out", required=True, type=Path, help="output folder: kalman/data and learned/data results, summary.json")
    parser.add_argument("--classes", type=parse_classes, default="Car,Pedestrian", help="comma-separated: Car, Pedestrian, Cyclist")
    parser.add_argument("--config", type=Path, default=config_dir() / "learned_association.yaml", help="cost settings (mode, weight)")
    parser.add_argument("--blend", type=float, metavar="W", help="learned weight of the blended cost (default: the config's)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the side-by-side figures as JSON")
    parser.set_defaults(func=eval_association)

    parser = groups.add_to_group("eval", "bev", "learned BEV detector vs the classical lidar front-end on simulated scenes",
                                 description=__doc__)
    parser.add_argument("--checkpoint", type=Path, help="trained model (default: checkpoint of --config)")
    parser.add_argument("--config", type=Path, default=config_dir() / "bev_detector.yaml", help="detector and data config")
    parser.add_argument("--seeds", type=int, nargs="+", help="scenario seeds (default: data.test_seeds)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    parser.set_defaults(func=eval_bev)


def _write(path: Path | None, figures: dict[str, Any]) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"wrote {path}")


def association_table(figures: dict[str, dict[str, dict[str, float]]]) -> str:
    header = f"{'class':<11}{'method':<10}" + "".join(f"{c:>9}" for c in ASSOCIATION_COLUMNS)
    lines = [header, "-" * len(header)]
    for cls, methods in figures.items():
        for method, fig in methods.items():
            lines.append(f"{cls:<11}{method:<10}" + "".join(
                f"{fig[c]:>9}" if c == "IDSW" else f"{fig[c]:>9.2f}" for c in ASSOCIATION_COLUMNS))
    return "\n".join(lines)


def eval_association(args: argparse.Namespace) -> int:
    from datasets.kitti.evaluation import evaluate
    from fusion.learned.association.config import load_association_config
    from fusion.learned.association.kitti import LearnedKittiAssociation
    from fusion.learned.association.task import kitti_config_path

    config = load_association_config(args.config)
    learned = LearnedKittiAssociation(args.run, config, args.blend)
    kitti = kitti_config_path(config)
    summaries = {method: evaluate(args.data, args.out / method, args.classes, False, kitti, with_3d=False, association=hook)
                 for method, hook in (("kalman", None), ("learned", learned))}
    figures = {cls: {m: {c: s["classes"][cls][c] for c in ASSOCIATION_COLUMNS} for m, s in summaries.items()}
               for cls in args.classes}
    sequences = summaries["kalman"]["sequences"]
    print(f"KITTI tracking, PointRCNN lidar boxes, {len(sequences)} sequences, each scored with the fold model that never saw it")
    print(association_table(figures))
    summary = {"classes": figures, "cost": learned.config.cost.model_dump(), "run": str(args.run), "sequences": sequences}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    _write(args.json, summary)
    return 0


def bev_table(learned: dict[str, dict[str, float]], classical: dict[str, dict[str, float]]) -> str:
    names = [k for k in learned if k != "mAP"]
    lines = [f"{'class':<12}{'gt':>6}{'learned AP':>12}{'classical AP':>14}   (AP at BEV IoU 0.5 car, 0.25 others)"]
    for name in names:
        lines.append(f"{name:<12}{int(learned[name]['gt']):>6}{learned[name]['AP']:>12.3f}{classical[name]['AP']:>14.3f}")
    lines.append(f"{'mAP':<12}{'':>6}{learned['mAP']['AP']:>12.3f}{classical['mAP']['AP']:>14.3f}")
    return "\n".join(lines)


def _with_boxes(scenario, frames, boxes: list, lidar_id: str):
    """The scenario with its lidar's box events replaced by `boxes` (one per frame, same stamps);
    sweeps without a frame lose their box event."""
    from dataclasses import replace

    from datasets.simulation.scenario import SensorEvent
    from fusion.core.measurements import Boxes3D

    by_stamp = {f.stamp_ns: b for f, b in zip(frames, boxes)}
    events = []
    for e in scenario.events:
        if isinstance(e.measurement, Boxes3D) and e.sensor_id == lidar_id:
            if e.stamp_ns in by_stamp:
                events.append(SensorEvent(e.arrival_ns, by_stamp[e.stamp_ns]))
            continue
        events.append(e)
    return replace(scenario, events=events)


def eval_bev(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from datasets.evaluation.sim_eval import evaluate
    from datasets.simulation.scenario import simulate_scenario
    from fusion.core.measurements import Boxes3D
    from fusion.learned.bev.config import load_bev_config
    from fusion.learned.bev.detector import BevDetector, transform_boxes
    from fusion.learned.bev.evaluation import accumulator, detected_boxes, truth_boxes
    from fusion.learned.bev.sim_data import frames_from_scenario, scenario_config, vehicle_config
    from fusion.tracking.config import load_tracker_config

    config = load_bev_config(args.config)
    detector = BevDetector(config, args.checkpoint)
    seeds = args.seeds or config.data.test_seeds
    vehicle = vehicle_config(config)
    lidar_id, lidar = next(iter(vehicle.sensors_of_kind("lidar").items()))
    ap = {"learned": accumulator(config), "classical": accumulator(config)}
    scenes: dict[str, dict] = {"learned": {}, "classical": {}}
    frames_total = 0
    for seed in tqdm(seeds, desc="test scenes", unit="scene", file=sys.stderr):
        scenario = simulate_scenario(scenario_config(config, seed), vehicle)
        frames = frames_from_scenario(config, scenario, with_classical=True)
        frames_total += len(frames)
        learned_lidar, classical_lidar = [], []
        for start in range(0, len(frames), 16):
            chunk = frames[start:start + 16]
            for frame, boxes in zip(chunk, detector.detect_rasters([f.raster for f in chunk])):
                truth = truth_boxes(config, frame.truth)
                ap["learned"].add(detected_boxes(config, boxes.centers, boxes.sizes, boxes.yaws, boxes.classes, boxes.scores), truth)
                c = frame.classical
                ap["classical"].add(detected_boxes(config, c.centers, c.sizes, c.yaws, c.classes, c.scores), truth)
                found = Boxes3D(frame.stamp_ns, vehicle.vehicle.base_frame, lidar_id, centers=boxes.centers, sizes=boxes.sizes,
                                yaws=boxes.yaws, classes=boxes.classes, scores=boxes.scores, velocities=boxes.velocities)
                to_lidar = frame.base_from_lidar.inverse()
                learned_lidar.append(transform_boxes(found, to_lidar, lidar.frame_id, -frame.lidar_velocity))
                classical_lidar.append(transform_boxes(c, to_lidar, lidar.frame_id))
        scenes["learned"][f"seed{seed}"] = _with_boxes(scenario, frames, learned_lidar, lidar_id)
        scenes["classical"][f"seed{seed}"] = _with_boxes(scenario, frames, classical_lidar, lidar_id)
    scores = {name: acc.result() for name, acc in ap.items()}
    tracker = load_tracker_config()
    tracking = {name: evaluate(s, tracker, names=("kalman_lidar_only",))["kalman_lidar_only"].metrics for name, s in scenes.items()}
    print(f"simulated scenes {seeds}, {frames_total} lidar sweeps, area x [{config.raster.x_min_m}, {config.raster.x_max_m}) "
          f"y [{config.raster.y_min_m}, {config.raster.y_max_m}) m")
    print(bev_table(scores["learned"], scores["classical"]))
    print("tracker (configs/tracker.yaml, lidar boxes only) on each detector's boxes, TrackEval:")
    print(f"{'detector':<12}" + "".join(f"{c:>9}" for c in ("HOTA", "DetA", "AssA", "MOTA", "IDSW")))
    for name, m in tracking.items():
        print(f"{name:<12}" + "".join(f"{m[c]:>9.3f}" if c != "IDSW" else f"{m[c]:>9}" for c in ("HOTA", "DetA", "AssA", "MOTA", "IDSW")))
    _write(args.json, {"seeds": seeds, "frames": frames_total, "average_precision": scores, "tracking": tracking})
    return 0
