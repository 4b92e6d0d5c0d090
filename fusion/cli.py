"""The `taishan` command. Each subcommand lives in its own module under fusion.commands.

A command module exposes `register(groups: CommandGroups)`; grouped commands (`eval kitti`,
`bench tracker`) attach to a shared group parser. Heavy imports (torch, open3d, rclpy) belong
inside the command functions so `taishan --help` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any, Callable

from fusion.core.errors import TaishanError

# Modules under fusion.commands, in the order their commands appear in --help.
COMMAND_MODULES = (
    "bench",
    "show_vod", "eval_vod", "bench_lidar",
    "simulate",
    "convert", "replay", "bench_replay",
    "run", "eval_sim", "bench_tracker",
    "eval_kitti",
    "eval_ego", "bench_ego",
    "train", "export_onnx", "eval_learned", "bench_learned",
    "launch", "bench_graph",
)

GROUP_HELP = {
    "eval": "score the pipeline on simulated or real data",
    "show": "draw pictures of data and results",
    "train": "train learned fusion models",
    "export": "export trained models",
    "bench": "measure speed; prints figures and ratios against a baseline measured in the same run",
    "convert": "convert simulations and datasets to rosbag2 bags",
}

Benchmark = Callable[[argparse.Namespace], dict[str, Any]]


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows defaults and keeps the description's line breaks."""


class CommandGroups:
    """The top-level subparsers plus lazily created groups (`eval`, `bench`, ...)."""

    def __init__(self, subparsers: argparse._SubParsersAction):
        self.top = subparsers
        self._groups: dict[str, argparse._SubParsersAction] = {}
        self.benchmarks: dict[str, Benchmark] = {}

    def add(self, name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:
        """A top-level command."""
        return self.top.add_parser(name, help=help, description=description or help, formatter_class=HelpFormatter)

    def add_to_group(self, group: str, name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:
        """A command under a group, e.g. add_to_group('eval', 'kitti', ...) for `taishan eval kitti`."""
        if group not in self._groups:
            parser = self.top.add_parser(group, help=GROUP_HELP.get(group, group), description=GROUP_HELP.get(group),
                                         formatter_class=HelpFormatter)
            self._groups[group] = parser.add_subparsers(dest=f"{group}_command", required=True, metavar="WHAT")
        return self._groups[group].add_parser(name, help=help, description=description or help, formatter_class=HelpFormatter)

    def add_benchmark(self, name: str, help: str, run: Benchmark) -> argparse.ArgumentParser:
        """`taishan bench NAME`; also run by `taishan bench all` (and so by `make bench`)."""
        parser = self.add_to_group("bench", name, help)
        parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
        parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run, not a measurement)")
        parser.set_defaults(func=_run_benchmark(run))
        self.benchmarks[name] = run
        return parser


def _run_benchmark(run: Benchmark) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        from fusion.commands.bench import report

        report(run(args), args.json)
        return 0

    return command


def build_parser() -> tuple[argparse.ArgumentParser, CommandGroups]:
    parser = argparse.ArgumentParser(
        prog="taishan",
        description="Taishan: automotive perception sensor fusion (camera, radar, lidar, IMU, GNSS).",
        formatter_class=HelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    groups = CommandGroups(subparsers)
    for name in COMMAND_MODULES:
        importlib.import_module(f"fusion.commands.{name}").register(groups)
    return parser, groups


def main(argv: list[str] | None = None) -> int:
    parser, groups = build_parser()
    args = parser.parse_args(argv)
    args.groups = groups
    try:
        return int(args.func(args) or 0)
    except TaishanError as exc:
        print(f"taishan {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"taishan {args.command}: interrupted", file=sys.stderr)
        return 130
