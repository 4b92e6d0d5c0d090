"""`taishan launch FILE [name:=value ...]`: run a launch YAML file without `ros2 launch`."""
from __future__ import annotations

import argparse
import importlib.util
import shlex

from fusion.core.errors import TaishanError

DESCRIPTION = """\
Runs a ROS 2 launch YAML file (e.g. launch/taishan.launch.yaml) where rclpy is installed but
`ros2 launch` is not: the same file works with `ros2 launch taishan taishan.launch.yaml`.

Supported launch YAML: arg (name, default, description, choices), let, group (children, scoped,
if, unless), push-ros-namespace, node (pkg, exec, name, namespace, param with name/value, nested
param or from, remap, args, ros_args, output, if, unless) and include (launch YAML files, with
arg). Substitutions: $(var), $(env NAME [DEFAULT]), $(find-pkg-share), $(dirname), $(not),
$(and), $(or), $(equals). Anything else is refused with the tag or attribute and its line.
Ctrl-C (SIGINT) or SIGTERM stops every node: SIGINT first, SIGTERM after 10 s, SIGKILL after 15 s.
"""


def _arguments(args: argparse.Namespace) -> dict[str, str]:
    """name:=value pairs; the options may also stand among or after them."""
    out = {}
    for item in args.arguments:
        if item in ("--print", "--show-args"):
            setattr(args, item[2:].replace("-", "_"), True)
            continue
        name, sep, value = item.partition(":=")
        if not sep or not name:
            raise TaishanError(f"launch arguments are name:=value, got {item!r}")
        out[name] = value
    return out


def run(args: argparse.Namespace) -> int:
    from fusion.launch_yaml.interpreter import interpret

    plan = interpret(args.file, _arguments(args))
    if args.show_args:
        for a in plan.arguments.values():
            default = "(required)" if a.default is None else f"(default: {a.default!r})"
            choices = f" one of {', '.join(a.choices)}" if a.choices else ""
            print(f"{a.name} {default}{choices}\n    {a.description}")
        return 0
    if args.print:
        for p in plan.processes:
            print(f"{p.label}: {shlex.join(p.cmd)}")
        return 0
    if importlib.util.find_spec("rclpy") is None:
        raise TaishanError("rclpy is not importable from this Python, so the nodes cannot run; use a ROS 2 "
                           "environment (here: .venv-ros/bin/taishan launch ..., built by `make bootstrap-ros`)")
    from fusion.launch_yaml.runner import run as run_plan

    return run_plan(plan)


def register(groups) -> None:
    parser = groups.add("launch", "run a launch YAML file (the Taishan graph) without ros2 launch", DESCRIPTION)
    parser.add_argument("file", help="launch YAML file, e.g. launch/taishan.launch.yaml")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, metavar="name:=value", help="launch arguments")
    parser.add_argument("--show-args", action="store_true", help="list the file's launch arguments and exit")
    parser.add_argument("--print", action="store_true", help="print the command of each node and exit")
    parser.set_defaults(func=run)
