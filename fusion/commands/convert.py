"""`taishan convert sim|kitti|vod`: datasets and simulations as rosbag2 bags that `taishan replay`
and ROS 2's own tools (`ros2 bag info/play`, Foxglove) open. The output is NAME.mcap or NAME.db3
(one storage file) or a bag folder (--storage picks mcap or sqlite3), written under a temporary
name and renamed when complete."""
from __future__ import annotations

import argparse
from pathlib import Path


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, metavar="OUT.mcap", help="output bag (.mcap, .db3 or a folder)")
    parser.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap", help="storage of a bag folder")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")


def register(groups) -> None:
    sim = groups.add_to_group("convert", "sim", "a saved simulation (taishan simulate --out DIR) to a bag")
    sim.add_argument("scenario", type=Path, metavar="DIR", help="folder written by `taishan simulate --out DIR`")
    _common(sim)
    sim.set_defaults(func=run_sim)

    kitti = groups.add_to_group("convert", "kitti", "a KITTI tracking sequence (detections, calibration, labels) to a bag")
    kitti.add_argument("--root", type=Path, default=Path("../shared/data/kitti-tracking/train"), help="KITTI tracking folder")
    kitti.add_argument("--sequence", required=True, metavar="SSSS", help="sequence name, e.g. 0001")
    _common(kitti)
    kitti.set_defaults(func=run_kitti)

    vod = groups.add_to_group("convert", "vod", "View-of-Delft frames (lidar, radar, camera info, labels) to a bag")
    vod.add_argument("--root", type=Path, help="View-of-Delft folder (default: ../shared/data/vod-example)")
    _common(vod)
    vod.set_defaults(func=run_vod)


def _report(counts: dict[str, int], out: Path) -> int:
    for topic, count in counts.items():
        print(f"  {topic:<48} {count:>7}")
    print(f"wrote {out} ({sum(counts.values())} messages)")
    return 0


def run_sim(args: argparse.Namespace) -> int:
    from datasets.bags.simulation import write_scenario_bag
    from datasets.simulation.io import load_scenario

    scenario = load_scenario(args.scenario)
    return _report(write_scenario_bag(scenario, args.out, storage=args.storage, overwrite=args.overwrite, progress=True), args.out)


def run_kitti(args: argparse.Namespace) -> int:
    from datasets.bags.kitti import write_kitti_bag

    counts = write_kitti_bag(args.root, args.sequence, args.out, storage=args.storage, overwrite=args.overwrite, progress=True)
    return _report(counts, args.out)


def run_vod(args: argparse.Namespace) -> int:
    from datasets.bags.vod import write_vod_bag

    return _report(write_vod_bag(args.root, args.out, storage=args.storage, overwrite=args.overwrite, progress=True), args.out)
