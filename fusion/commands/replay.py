"""`taishan replay BAG...`: run the graph's node cores over recorded bags in log-time order, as
fast as the CPU allows, deterministically (the same bag and configs give byte-identical output).

Reads rosbag2 (directory, .mcap, .db3) and ROS 1 (.bag) recordings. A damaged bag is reported and
what is readable before the damage is replayed; topics no node reads are skipped with one notice
each. --out records the graph's outputs (object list as TrackedObjects, Detection3DArray and
markers, ego odometry, tf, front-end detections, diagnostics) to a new bag, written under a
temporary name and renamed when complete. --eval scores the object lists against the bag's
/ground_truth/objects topic. --publish plays the bag into a live ROS 2 graph instead (with /clock,
for nodes with use_sim_time), which needs rclpy (.venv-ros).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(groups) -> None:
    parser = groups.add("replay", "replay bags through the graph (offline, or live into ROS 2 with --publish)",
                        description=__doc__)
    parser.add_argument("bags", nargs="+", type=Path, metavar="BAG", help="rosbag2 directory, .mcap, .db3 or ROS 1 .bag")
    parser.add_argument("--config", type=Path, metavar="DIR",
                        help="folder with vehicle.yaml, tracker.yaml, ego.yaml, graph.yaml, lidar.yaml, radar.yaml "
                             "(each optional; the shipped configs/ fill in)")
    parser.add_argument("--out", type=Path, metavar="OUT.mcap",
                        help="output bag (.mcap, .db3 or a bag folder); with several bags, a folder of <bag>.mcap")
    parser.add_argument("--inputs", action="store_true", help="record the graph's input messages in the output bag too")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output bags")
    parser.add_argument("--eval", action="store_true", help="score against the bags' /ground_truth/objects and write plots")
    parser.add_argument("--plots", type=Path, metavar="DIR", default=Path("out/replay"), help="where --eval writes plots")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write a JSON summary (and --eval metrics)")
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="replay bags in N parallel processes")
    parser.add_argument("--ray", metavar="ADDRESS", help="replay bags as tasks on a Ray cluster ('auto', 'ray://host:port'), "
                                                       "or 'local' for a private single-node Ray instance (needs taishan[ray])")
    parser.add_argument("--publish", action="store_true", help="publish the bag into a live ROS 2 graph with /clock")
    parser.add_argument("--rate", type=float, default=1.0, metavar="R", help="with --publish: playback speed (1 = real time)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion.core.errors import TaishanError

    if args.publish:
        from datasets.bags.publish import publish_command

        if len(args.bags) != 1:
            raise TaishanError("--publish plays one bag at a time")
        return publish_command(args.bags[0], args.rate)
    if args.workers < 1:
        raise TaishanError(f"--workers must be at least 1, got {args.workers}")

    from datasets.bags.parallel import replay_many
    from fusion.graph.build import GraphConfigs

    configs = GraphConfigs.load(args.config)
    results = replay_many(args.bags, configs, out=args.out, record_inputs=args.inputs, overwrite=args.overwrite,
                          truth=args.eval, workers=args.workers, ray_address=args.ray, progress=True)
    report: dict[str, Any] = {"bags": [r.summary() for r in results]}
    for r in results:
        _print_result(r)
    if args.eval:
        from datasets.bags.evaluation import evaluate_replays

        report["evaluation"] = evaluate_replays(results, args.plots)
        print(json.dumps(report["evaluation"]["overall"], indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 1 if any(r.messages_used == 0 for r in results) else 0


def _print_result(r: Any) -> None:
    print(f"{r.bag}: {r.messages_used}/{r.messages_read} messages used, {r.duration_s:.1f} s of data in "
          f"{r.wall_s:.1f} s ({r.realtime_factor:.1f}x real time), {len(r.object_lists)} object lists"
          + (f", wrote {r.output}" if r.output else ""))
    for notice in r.notices:
        print(f"  notice: {notice}")
    for problem in r.problems:
        print(f"  problem: {problem}", file=sys.stderr)
    for name, status in r.diagnostics.items():
        if status["level"] != "OK":
            print(f"  {name}: {status['level']}: {status['message']}")
