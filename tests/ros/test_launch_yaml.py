"""`taishan launch`: the launch YAML interpreter and process runner (no rclpy needed), and the
agreement of launch/taishan.launch.py with launch/taishan.launch.yaml."""
from __future__ import annotations

import ast
import importlib.util
import io
import re
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from fusion.cli import main as cli_main
from fusion.launch_yaml import runner
from fusion.launch_yaml.document import LaunchError, load
from fusion.launch_yaml.interpreter import Plan, Process, interpret
from fusion.launch_yaml.substitutions import Scope, substitute

REPO = Path(__file__).resolve().parents[2]
YAML_LAUNCH = REPO / "launch" / "taishan.launch.yaml"
PY_LAUNCH = REPO / "launch" / "taishan.launch.py"
NODES = {"camera_frontend": "taishan_camera_node", "radar_frontend": "taishan_radar_node",
         "lidar_frontend": "taishan_lidar_node", "ego_estimator": "taishan_ego_node", "tracker": "taishan_tracker_node"}


def write(tmp_path: Path, text: str, name: str = "test.launch.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def ros_args(process: Process) -> list[str]:
    return process.cmd[process.cmd.index("--ros-args") + 1:]


def test_the_shipped_launch_file_starts_the_five_nodes_with_their_configs() -> None:
    plan = interpret(YAML_LAUNCH, {})
    assert [p.label for p in plan.processes] == [f"{name}-1" for name in NODES]
    configs = REPO / "configs"
    for process, (name, executable) in zip(plan.processes, NODES.items()):
        assert process.cmd[0] == sys.executable and f"fusion.ros.{executable.removeprefix('taishan_')}" in process.cmd[2]
        args = ros_args(process)
        assert args[:2] == ["-r", f"__node:={name}"] and "__ns:=" not in " ".join(args)
        assert ["--params-file", str(configs / "graph.yaml")] == args[2:4]
        assert "use_sim_time:=false" in args and f"node.vehicle_config:={configs / 'vehicle.yaml'}" in args
    tracker = ros_args(plan.processes[-1])
    assert tracker[tracker.index(str(configs / "graph.yaml")) + 1:][:2] == ["--params-file", str(configs / "tracker.yaml")]


def test_arguments_choose_sensors_namespace_configs_and_sim_time(tmp_path: Path) -> None:
    own = tmp_path / "tracker.yaml"
    own.write_text("/**:\n  ros__parameters: {}\n")
    plan = interpret(YAML_LAUNCH, {"namespace": "car1", "use_sim_time": "true", "radar": "false", "camera": "false",
                                   "tracker_config": str(own)})
    assert [p.label for p in plan.processes] == ["lidar_frontend-1", "ego_estimator-1", "tracker-1"]
    for process in plan.processes:
        assert "__ns:=/car1" in ros_args(process) and "use_sim_time:=true" in ros_args(process)
    assert str(own) in ros_args(plan.processes[-1])
    assert set(plan.arguments) >= {"namespace", "use_sim_time", "camera", "radar", "lidar", "ego", "tracker",
                                   "vehicle_config", "graph_config", "tracker_config", "ego_config"}


def test_compose_runs_the_front_ends_and_the_tracker_in_one_fusion_node() -> None:
    plan = interpret(YAML_LAUNCH, {"compose": "true", "radar": "false", "objects_trigger": "timer"})
    assert [p.label for p in plan.processes] == ["ego_estimator-1", "fusion-1"]
    fusion = ros_args(plan.processes[-1])
    assert "fusion.ros.fusion_node" in plan.processes[-1].cmd[2] and fusion[:2] == ["-r", "__node:=fusion"]
    assert str(REPO / "configs" / "tracker.yaml") in fusion
    for setting in ("node.camera:=true", "node.radar:=false", "node.lidar:=true", "objects_trigger:=timer"):
        assert setting in fusion, fusion
    assert "objects_trigger:=input" in ros_args(interpret(YAML_LAUNCH, {}).processes[-1])   # the live default


@pytest.mark.parametrize("arguments,message", [
    ({"radar": "maybe"}, "launch argument 'radar' is 'maybe', not one of true, false"),
    ({"lidr": "false"}, "unknown launch argument(s) lidr"),
    ({"tracker_config": "/nonexistent.yaml"}, "params file '/nonexistent.yaml' not found"),
])
def test_bad_arguments_are_refused_clearly(arguments: dict, message: str) -> None:
    with pytest.raises(LaunchError, match=re.escape(message)):
        interpret(YAML_LAUNCH, arguments)


@pytest.mark.parametrize("body,line,message", [
    ("- executable: {cmd: ls}\n", 3, "<executable>: not supported by taishan launch"),
    ("- node: {pkg: taishan, exec: taishan_tracker_node, respawn: true}\n", 3, "<node>: attribute 'respawn' is not supported"),
    ("- let: {name: x, value: \"$(eval 1 + 1)\"}\n", 3, "substitution $(eval ...) is not supported"),
    ("- arg: {name: x}\n", 3, "launch argument 'x' is required"),
    ("- group: {if: perhaps, children: []}\n", 3, "expected a boolean (true, false, 1 or 0), got 'perhaps'"),
    ("- include: {file: other.launch.py}\n", 3, "includes launch YAML files only"),
    ("- node: {pkg: taishan, exec: no_such_node}\n", 3, "taishan has no executable 'no_such_node'"),
    ("- node:\n    pkg: taishan\n    exec: taishan_tracker_node\n    param:\n    - {name: a}\n", 7,
     "each param needs `name` and either `value` or nested `param`s"),
])
def test_unsupported_or_invalid_entities_are_refused_with_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = write(tmp_path, "# a comment\nlaunch:\n" + body)
    with pytest.raises(LaunchError) as info:
        interpret(path, {})
    assert str(info.value).startswith(f"{path}:{line}: ") and message in str(info.value), str(info.value)


def test_groups_scope_lets_and_namespaces_and_includes_get_their_arguments(tmp_path: Path) -> None:
    write(tmp_path, """\
        launch:
        - arg: {name: who, default: nobody}
        - node: {pkg: taishan, exec: taishan_ego_node, name: "$(var who)", namespace: inner}
        """, "inner.launch.yaml")
    path = write(tmp_path, """\
        launch:
        - arg: {name: ns, default: outer}
        - let: {name: who, value: first}
        - group:
            children:
            - push-ros-namespace: {namespace: "$(var ns)"}
            - let: {name: who, value: second}
            - include:
                file: "$(dirname)/inner.launch.yaml"
                arg: [{name: who, value: "$(var who)-included"}]
            - node:
                pkg: taishan
                exec: taishan_tracker_node
                name: "$(var who)"
                param:
                - {name: graph, param: [{name: depth, value: 3}, {name: ratio, value: "2.5"}, {name: enabled, value: "$(not false)"}]}
                - {name: names, value: [a, b]}
                remap: [{from: in, to: /elsewhere}]
        - node: {pkg: taishan, exec: taishan_radar_node, name: "$(var who)", namespace: /absolute}
        """)
    plan = interpret(path, {})
    labels = [p.label for p in plan.processes]
    assert labels == ["second-included-1", "second-1", "first-1"]
    assert "__ns:=/outer/inner" in ros_args(plan.processes[0])
    tracker = ros_args(plan.processes[1])
    assert "__ns:=/outer" in tracker
    for expected in ("graph.depth:=3", "graph.ratio:=2.5", "graph.enabled:=true", "names:=[a, b]", "in:=/elsewhere"):
        assert expected in tracker, tracker
    assert "__ns:=/absolute" in ros_args(plan.processes[2])
    assert "who" in plan.arguments   # the included file's argument counts as declared


def test_substitutions_nest_and_quote(tmp_path: Path) -> None:
    scope = Scope({"a": "true", "b": "x y"}, tmp_path / "f.yaml")
    assert substitute("$(not $(var a))", scope, "here") == "false"
    assert substitute('$(equals $(var b) "x y")', scope, "here") == "true"
    assert substitute("$(env TAISHAN_SURELY_UNSET 'fall back')/$(dirname)", scope, "here") == f"fall back/{tmp_path}"
    assert substitute("$(find-pkg-share taishan)", scope, "here") == str(REPO)
    with pytest.raises(LaunchError, match="not set"):
        substitute("$(var nope)", scope, "here")


def _yaml_nodes() -> dict[str, tuple[str, list[str]]]:
    """node name -> (executable, launch arguments of its params files) from the YAML file."""
    out = {}

    def walk(entities):
        for e in entities:
            if e.children:
                walk(e.children)
            if e.tag == "node":
                files = [re.fullmatch(r"\$\(var (\w+)\)", p.data["from"].data).group(1)
                         for p in e.attributes["param"].data if "from" in p.data]
                out[e.attributes["name"].data] = (e.attributes["exec"].data, files)

    walk(load(YAML_LAUNCH))
    return out


def test_python_launch_file_declares_the_same_arguments_and_nodes_as_the_yaml_file() -> None:
    """launch_ros is not installable here, so the Python file is read, not run: its argument names and
    its node table must match the YAML file's."""
    tree = ast.parse(PY_LAUNCH.read_text())
    table = next(ast.literal_eval(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign)
                 and any(getattr(t, "id", "") == "NODES" for t in n.targets))
    literal_args = {c.args[0].value for c in ast.walk(tree) if isinstance(c, ast.Call)
                    and getattr(c.func, "id", "") == "DeclareLaunchArgument" and isinstance(c.args[0], ast.Constant)}
    assert literal_args | {switch for switch, _, _, _ in table} == set(interpret(YAML_LAUNCH, {}).arguments)
    assert {name: (executable, ["graph_config", *files]) for _, executable, name, files in table} == _yaml_nodes()


def test_launcher_prefixes_output_and_stops_processes_with_sigint_then_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "SIGINT_GRACE_S", 0.5)
    polite = ("import signal, sys, time\nsignal.signal(signal.SIGINT, lambda *a: sys.exit(0))\n"
              "print('ready', flush=True)\nwhile True: time.sleep(0.05)")
    stubborn = ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                "print('ready', flush=True)\nwhile True: time.sleep(0.05)")
    plan = Plan([Process("polite-1", [sys.executable, "-c", polite], "here"),
                 Process("stubborn-1", [sys.executable, "-c", stubborn], "here")])
    out = io.StringIO()
    launcher = runner.Launcher(plan, out)
    launcher.start()
    deadline = time.monotonic() + 20
    while out.getvalue().count("] ready") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    threading.Timer(0.1, launcher.request_stop).start()
    code = launcher.wait()
    text = out.getvalue()
    assert "[polite-1] ready" in text and "[stubborn-1] ready" in text
    assert re.search(r"process has finished cleanly \[pid \d+\]: polite-1", text), text
    assert "SIGTERM to stubborn-1" in text and re.search(r"process has died \[pid \d+, exit code -15\]: stubborn-1", text), text
    assert code == 1


def test_launcher_reports_a_process_that_dies_and_lets_the_others_run() -> None:
    plan = Plan([Process("ok-1", [sys.executable, "-c", "print('hi')"], "here"),
                 Process("bad-1", [sys.executable, "-c", "raise SystemExit(3)"], "here")])
    out = io.StringIO()
    launcher = runner.Launcher(plan, out)
    launcher.start()
    assert launcher.wait() == 1
    assert "[ok-1] hi" in out.getvalue() and re.search(r"exit code 3\]: bad-1", out.getvalue())


def test_launch_command_without_rclpy_says_where_to_run_it(capsys: pytest.CaptureFixture[str]) -> None:
    if importlib.util.find_spec("rclpy") is not None:
        pytest.skip("rclpy is importable here")
    assert cli_main(["launch", str(YAML_LAUNCH)]) == 2
    assert "rclpy is not importable" in capsys.readouterr().err
    assert cli_main(["launch", str(YAML_LAUNCH), "--print", "lidar:=false"]) == 0
    assert "lidar_frontend" not in capsys.readouterr().out
