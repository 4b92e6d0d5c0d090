"""Cross-validated tuning of configs/kitti.yaml on a KITTI tracking train folder.

    python -m datasets.kitti.tuning --data ../shared/data/kitti-tracking/train --class Car \
        --sensors lidar+camera --out out/tune_car_fusion.json

Two folds of whole sequences with about equal frame counts (FOLDS). Coordinate ascent on 2D HOTA
minus `--idsw-weight` HOTA points per identity switch (0: HOTA alone) over a grid of candidate values
per parameter (GRIDS, per class), run three times from the shipped config:
selecting on fold A, on fold B, and on both. The config chosen on A is scored on B and vice versa;
their mean is the held-out estimate. The config chosen on both folds is the one to ship. Results
of every configuration are cached, so the three runs share work.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from datasets.kitti.config import KittiConfig
from datasets.kitti.layout import KittiLayout
from datasets.kitti.objects import write_tracking_file
from datasets.kitti.pipeline import track_sequence
from datasets.kitti.scoring import score_results
from datasets.kitti.sequence import load_sequence
from fusion.config.loader import config_dir, parse_config, unwrap_ros_parameters

# Folds of the train folder: 1913 and 2187 frames.
FOLDS = {"A": ("0000", "0003", "0005", "0007", "0011", "0017"), "B": ("0002", "0004", "0009", "0020")}

# Per class, parameter (dotted path inside classes.<cls>) -> candidate values; camera ones are skipped
# for lidar-only tuning.
CAMERA_PARAMETERS = ("camera_mode", "camera_fusion.", "camera.", "output.camera_box")
_LIFECYCLE: dict[str, list[Any]] = {   # track life cycle and reporting, every class
    "tracker.management.max_coast_s": [0.5, 1.0, 2.0],
    "tracker.management.existence_delete": [0.005, 0.02, 0.08],
    "tracker.management.confirm_hits": [1, 2, 3],
    "output.max_coast_frames": [0, 1, 2],
    "tracker.management.duplicate_iou": [0.3, 1.0],
}
_SHARED: dict[str, list[Any]] = {
    "camera_fusion.min_camera_score": [0.0, 0.3, 0.6],
    "camera_fusion.track_min_iou": [0.2, 0.3, 0.45],
    "camera_fusion.memory_s": [0.15, 0.3, 0.6],
    "camera_fusion.identity_iou": [0.3, 0.5, 0.7],
    "camera_fusion.identity_gate_probability": [0.99999, 0.9999999],
    "camera_fusion.reid_iou": [0.3, 0.5, 1.0],
    "camera_fusion.reid_memory_s": [0.15, 0.5, 1.0],
    "output.camera_box_min_iou": [0.0, 0.3, 0.5],
    "output.camera_box_exclusive": [False, True],
    "camera_mode": ["evidence", "measurement"],
    **_LIFECYCLE,
    "tracker.association.gate_probability": [0.99, 0.997, 0.9999],
}
GRIDS: dict[str, dict[str, list[Any]]] = {
    "Car": {
        "tracker.sensors.lidar.min_score": [1.0, 2.0, 3.0, 4.0, 5.0],
        "camera_fusion.confirmed_score_bonus": [2.0, 3.5, 5.0, 7.0],
        "lidar.detection_probability": [0.3, 0.5, 0.7],
        "camera.detection_probability": [0.5, 0.7, 0.85],
        **_SHARED,
        "tracker.motion.accel_psd": [1.5, 4.0, 10.0],
        "lidar.box_center_std_m": [0.2, 0.3, 0.5],
        "lidar.box_yaw_std_deg": [10.0, 30.0],
    },
    "Pedestrian": {
        "tracker.sensors.lidar.min_score": [-0.5, 0.0, 1.0, 2.0, 3.0],
        "camera_fusion.confirmed_score_bonus": [0.0, 1.0, 2.0, 4.0],
        "lidar.detection_probability": [0.3, 0.5, 0.8],
        "camera.detection_probability": [0.3, 0.5, 0.7],
        **_SHARED,
        "tracker.motion.accel_psd": [0.5, 2.0, 6.0],
        "lidar.box_center_std_m": [0.1, 0.2, 0.4],
    },
    "Cyclist": {
        "tracker.sensors.lidar.min_score": [-0.5, 0.0, 1.0, 2.0, 3.0],
        "lidar.detection_probability": [0.3, 0.5, 0.8],
        **_LIFECYCLE,
        "tracker.motion.accel_psd": [0.5, 2.0, 6.0],
        "lidar.box_center_std_m": [0.1, 0.2, 0.4],
    },
}

_SEQUENCES: dict[tuple[str, str, bool], Any] = {}


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for key in parents:
        tree = tree.setdefault(key, {})
    tree[leaf] = value


def _track(job: tuple[str, str, str, dict[str, Any], bool]):
    """Worker: track one sequence with one configuration (sequences stay loaded per process)."""
    data, seq, cls, params, use_camera = job
    layout = KittiLayout(Path(data))
    key = (data, seq, use_camera)
    if key not in _SEQUENCES:
        entry = next(e for e in layout.sequences() if e.name == seq)
        _SEQUENCES[key] = load_sequence(layout, entry, [cls], use_camera)
    config = parse_config(params, KittiConfig, "tuning candidate")
    return seq, track_sequence(_SEQUENCES[key], cls, config, use_camera).objects


class Tuner:
    def __init__(self, data: Path, cls: str, use_camera: bool, base: dict[str, Any], workers: int, idsw_weight: float = 0.0):
        self.data, self.cls, self.use_camera, self.base, self.idsw_weight = data, cls, use_camera, base, idsw_weight
        self.layout = KittiLayout(data)
        self.entries = {e.name: e for e in self.layout.sequences()}
        self.cache: dict[str, dict[str, float]] = {}
        self.pool = ProcessPoolExecutor(workers)

    def params(self, changes: dict[str, Any]) -> dict[str, Any]:
        params = copy.deepcopy(self.base)
        params["classes"] = {self.cls: params["classes"][self.cls]}
        for dotted, value in changes.items():
            _set(params["classes"][self.cls], dotted, value)
            if dotted == "tracker.management.confirm_hits":
                _set(params["classes"][self.cls], "tracker.management.confirm_window", max(value + 1, 3))
        return params

    def score(self, changes: dict[str, Any]) -> dict[str, float]:
        key = json.dumps(changes, sort_keys=True)
        if key not in self.cache:
            params = self.params(changes)
            jobs = [(str(self.data), seq, self.cls, params, self.use_camera) for fold in FOLDS.values() for seq in fold]
            with tempfile.TemporaryDirectory() as tmp:
                for seq, objects in self.pool.map(_track, jobs):
                    write_tracking_file(Path(tmp) / f"{seq}.txt", objects)
                figures = {}
                for name, fold in FOLDS.items():
                    fig = score_results(self.data, Path(tmp), [self.entries[s] for s in fold], [self.cls], with_3d=False)[self.cls]
                    figures.update({f"{k}_{name}": fig[k] for k in ("HOTA", "DetA", "AssA", "MOTA", "IDSW")})
            frames = {n: sum(self.entries[s].n_frames for s in fold) for n, fold in FOLDS.items()}
            figures["HOTA_AB"] = sum(figures[f"HOTA_{n}"] * frames[n] for n in FOLDS) / sum(frames.values())
            for name in FOLDS:
                figures[f"objective_{name}"] = figures[f"HOTA_{name}"] - self.idsw_weight * figures[f"IDSW_{name}"]
            figures["objective_AB"] = sum(figures[f"objective_{n}"] * frames[n] for n in FOLDS) / sum(frames.values())
            self.cache[key] = figures
            print(f"  HOTA A {figures['HOTA_A']:.2f} B {figures['HOTA_B']:.2f} IDSW A {figures['IDSW_A']} B {figures['IDSW_B']} "
                  f"| {key}", file=sys.stderr, flush=True)
        return self.cache[key]

    def ascend(self, objective: str, grids: dict[str, list[Any]], sweeps: int) -> dict[str, Any]:
        """Coordinate ascent from the base config; returns the best changes found."""
        best: dict[str, Any] = {}
        best_value = self.score(best)[objective]
        for _ in range(sweeps):
            improved = False
            for dotted, values in grids.items():
                for value in values:
                    candidate = {**best, dotted: value}
                    value_ = self.score(candidate)[objective]
                    if value_ > best_value + 1e-6:
                        best, best_value, improved = candidate, value_, True
            if not improved:
                break
        return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--class", dest="cls", required=True, choices=("Car", "Pedestrian", "Cyclist"))
    parser.add_argument("--sensors", choices=("lidar", "lidar+camera"), default="lidar+camera")
    parser.add_argument("--config", type=Path, help="starting point (default: the shipped config of --sensors)")
    parser.add_argument("--out", type=Path, required=True, help="JSON report")
    parser.add_argument("--sweeps", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="tune only these parameters (dotted paths of GRIDS)")
    parser.add_argument("--idsw-weight", type=float, default=0.0, help="HOTA points one identity switch costs in the objective")
    args = parser.parse_args(argv)
    use_camera = args.sensors == "lidar+camera"
    grids = {k: v for k, v in GRIDS[args.cls].items()
             if (use_camera or not k.startswith(CAMERA_PARAMETERS)) and (not args.only or k in args.only)}
    config_path = args.config or config_dir() / ("kitti.yaml" if use_camera else "kitti_lidar.yaml")
    base = unwrap_ros_parameters(yaml.safe_load(config_path.read_text()))
    tuner = Tuner(args.data, args.cls, use_camera, base, args.workers, args.idsw_weight)
    chosen = {}
    for fold in ("A", "B", "AB"):
        print(f"ascent on fold(s) {fold}", file=sys.stderr, flush=True)
        chosen[fold] = tuner.ascend(f"objective_{fold}", grids, args.sweeps)
    score = tuner.score

    def held_out(chosen_on: str, scored_on: str) -> dict[str, Any]:
        figures = score(chosen[chosen_on])
        return {"changes": chosen[chosen_on], **{f"held_out_{k}_{scored_on}": figures[f"{k}_{scored_on}"]
                                                 for k in ("HOTA", "MOTA", "IDSW", "objective")}}

    report = {
        "class": args.cls, "sensors": args.sensors, "folds": FOLDS, "grids": grids, "idsw_weight": args.idsw_weight,
        "base": score({}), "chosen_on_A": held_out("A", "B"), "chosen_on_B": held_out("B", "A"),
        "chosen_on_AB": {"changes": chosen["AB"], "figures": score(chosen["AB"])},
        "evaluated": len(tuner.cache),
    }
    report["held_out_HOTA"] = (report["chosen_on_A"]["held_out_HOTA_B"] + report["chosen_on_B"]["held_out_HOTA_A"]) / 2
    report["held_out_IDSW"] = report["chosen_on_A"]["held_out_IDSW_B"] + report["chosen_on_B"]["held_out_IDSW_A"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("chosen_on_A", "chosen_on_B", "chosen_on_AB", "held_out_HOTA", "held_out_IDSW")},
                     indent=2))
    tuner.pool.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
