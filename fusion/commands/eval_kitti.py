"""`taishan eval kitti`: track every sequence of a KITTI tracking folder and score the results.

Writes KITTI results (<out>/data/SSSS.txt), scores them with TrackEval (2D HOTA / CLEAR / Identity
under KITTI's rules; 3D MOTA at 3D IoU 0.25 as AB3DMOT reports it), prints a table, and saves
<out>/summary.json and plots (<out>/plots: HOTA against alpha, bird's-eye view of one sequence).

--association learned replaces the Kalman (Mahalanobis) lidar association with the learned cost of
`taishan train association` (fusion.learned.association): --checkpoint is a model file, or a run
folder, whose fold models each track the sequences their fold held out; --blend W sets the learned
weight of the blended cost (1: learned only; default: the cost section of --association-config)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from fusion.core.errors import InputError

SENSORS = ("lidar", "lidar+camera")
ASSOCIATIONS = ("kalman", "learned")


def parse_classes(text: str) -> list[str]:
    """argparse type of --classes: comma-separated KITTI classes, canonical spelling, no repeats."""
    from datasets.kitti.layout import LIDAR_CLASSES

    names = [c.strip() for c in text.split(",") if c.strip()]
    canonical = {c.lower(): c for c in LIDAR_CLASSES}
    unknown = [c for c in names if c.lower() not in canonical]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"unknown class(es) {unknown or text!r}; choose from {','.join(LIDAR_CLASSES)}")
    return list(dict.fromkeys(canonical[c.lower()] for c in names))


def register(groups) -> None:
    parser = groups.add_to_group(
        "eval", "kitti", "track and score KITTI tracking sequences (PointRCNN lidar boxes, RRC camera boxes)",
        description=__doc__.split("\n", 1)[1].strip())
    parser.add_argument("--data", required=True, type=Path, help="folder laid out like kitti-tracking/train (seqmap.txt, label_02, calib, det_pointrcnn, det_rrc2d)")
    parser.add_argument("--out", required=True, type=Path, help="output folder: data/SSSS.txt results, plots, summary")
    parser.add_argument("--classes", type=parse_classes, default="Car,Pedestrian", help="comma-separated: Car, Pedestrian, Cyclist")
    parser.add_argument("--sensors", choices=SENSORS, default="lidar+camera", help="lidar boxes alone, or fused with camera boxes")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the per-class figures as JSON ({class: {HOTA, DetA, AssA, MOTA, IDSW, fps, ...}})")
    parser.add_argument("--config", type=Path, help="KITTI pipeline and tracker parameters (default: configs/kitti.yaml "
                        "for lidar+camera, configs/kitti_lidar.yaml for lidar)")
    parser.add_argument("--plot-seq", metavar="SSSS", help="sequence for the bird's-eye-view plot; none: the first evaluated")
    parser.add_argument("--no-3d", action="store_true", help="skip the 3D-IoU scoring (faster)")
    parser.add_argument("--association", choices=ASSOCIATIONS, default="kalman", help="lidar association cost: the Kalman "
                        "filter's Mahalanobis distance (with the camera identity cost), or the learned one (needs --checkpoint)")
    parser.add_argument("--checkpoint", type=Path, help="learned association: model file, or `taishan train association` run "
                        "folder (each sequence tracked by the fold model that held it out)")
    parser.add_argument("--blend", type=float, metavar="W", help="learned association: learned weight of the blended cost (0..1)")
    parser.add_argument("--association-config", type=Path, help="learned association settings (default: configs/learned_association.yaml)")
    parser.set_defaults(func=run)


def learned_association(args: argparse.Namespace):
    """The `association(sequence, cls)` hook of datasets.kitti.evaluation.evaluate for the options, or None."""
    if args.association == "kalman":
        if args.checkpoint or args.blend is not None:
            raise InputError("--checkpoint/--blend", "only apply with --association learned")
        return None
    if args.checkpoint is None:
        raise InputError("--association learned", "needs --checkpoint (a model file or a `taishan train association` run folder)")
    from fusion.learned.association.config import load_association_config
    from fusion.learned.association.kitti import LearnedKittiAssociation

    return LearnedKittiAssociation(args.checkpoint, load_association_config(args.association_config), args.blend)


def _table(figures: dict[str, dict[str, Any]], title: str) -> str:
    columns = [("HOTA", "{:.2f}"), ("DetA", "{:.2f}"), ("AssA", "{:.2f}"), ("MOTA", "{:.2f}"), ("IDSW", "{}"),
               ("IDF1", "{:.2f}"), ("MOTA_3d", "{:.2f}"), ("IDSW_3d", "{}"), ("fps", "{:.0f}")]
    header = f"{'class':<11}" + "".join(f"{name:>9}" for name, _ in columns)
    lines = [title, header, "-" * len(header)]
    for cls, fig in figures.items():
        cells = [fmt.format(fig[name]) if name in fig else "-" for name, fmt in columns]
        lines.append(f"{cls:<11}" + "".join(f"{c:>9}" for c in cells))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from datasets.kitti.evaluation import evaluate
    from fusion.config.loader import config_dir

    if not args.data.is_dir():
        raise InputError(str(args.data), "KITTI data folder not found")
    use_camera = args.sensors == "lidar+camera"
    config = args.config or config_dir() / ("kitti.yaml" if use_camera else "kitti_lidar.yaml")
    association = learned_association(args)
    summary = evaluate(args.data, args.out, args.classes, use_camera, config,
                       plot_sequence=args.plot_seq, with_3d=not args.no_3d, association=association)
    print(_table(summary["classes"], f"KITTI tracking, sensors: {args.sensors}, association: {args.association}"))
    for path in summary["plots"]:
        print(f"plot: {path}")
    print(f"results: {args.out / 'data'}")
    print(f"summary: {args.out / 'summary.json'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary["classes"], indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0
