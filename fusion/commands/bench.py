"""`taishan bench all`: every registered benchmark in one run, and the shared report format."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def report(figures: dict[str, Any], json_path: str | None) -> None:
    """Print figures as an indented tree and optionally write them as JSON."""

    def show(d: dict[str, Any], indent: int = 0) -> None:
        for key, value in d.items():
            if isinstance(value, dict):
                print(" " * indent + f"{key}:")
                show(value, indent + 2)
            else:
                text = f"{value:.4g}" if isinstance(value, float) else str(value)
                print(" " * indent + f"{key}: {text}")

    show(figures)
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(figures, indent=2) + "\n")
        print(f"wrote {json_path}")


def register(groups) -> None:
    parser = groups.add_to_group("bench", "all", "run every benchmark (what `make bench` does)")
    parser.add_argument("--json", metavar="PATH", help="write all figures as one JSON file")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run, not a measurement)")

    def run_all(args: argparse.Namespace) -> int:
        results = {}
        for name, bench in args.groups.benchmarks.items():
            print(f"== bench {name}", flush=True)
            results[name] = bench(args)
            report(results[name], None)
        if args.json:
            report({}, None)
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
            print(f"wrote {args.json}")
        return 0

    parser.set_defaults(func=run_all)
