"""Evaluate a launch YAML file into the processes to start, as `ros2 launch` would.

Entities and attributes (anything else is an error naming the tag or attribute and its line):
- `arg`: name, default, description, choices. Set from the command line (`name:=value`), else
  its default; without either it is a required argument.
- `let`: name, value.
- `group`: children (or the group's body as a list), scoped (default true), if, unless.
- `push-ros-namespace` (or `push_ros_namespace`): namespace, prefixed to the nodes after it in
  its group (relative node namespaces are appended, absolute ones kept).
- `node`: pkg, exec, name, namespace, param (`name`/`value`, nested `param`, or `from` a params
  file), remap (`from`/`to`), args, ros_args, output (accepted; output always goes to the screen),
  if, unless.
- `include`: file (a launch YAML file), arg (`name`/`value`), if, unless. The included file sees
  the current launch configurations plus its `arg`s, in a scope of its own.
Parameter values given as strings are read as YAML after substitution (so "true" is a boolean,
"2.0" a double), as launch_ros does.
"""
from __future__ import annotations

import importlib.metadata
import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fusion.launch_yaml.document import Entity, LaunchError, Value, load
from fusion.launch_yaml.substitutions import Scope, as_bool, substitute

ATTRIBUTES = {
    "arg": {"name", "default", "description", "choices"},
    "let": {"name", "value"},
    "group": {"scoped", "if", "unless"},
    "push-ros-namespace": {"namespace"},
    "node": {"pkg", "exec", "name", "namespace", "param", "remap", "args", "ros_args", "output", "if", "unless"},
    "include": {"file", "arg", "if", "unless"},
}
ALIASES = {"push_ros_namespace": "push-ros-namespace"}


@dataclass
class Argument:
    name: str
    default: str | None
    description: str
    choices: tuple[str, ...]
    where: str


@dataclass
class Process:
    """A node to start: `label` names it in the output, `cmd` is the full command line."""

    label: str
    cmd: list[str]
    where: str


@dataclass
class Plan:
    processes: list[Process] = field(default_factory=list)
    arguments: dict[str, Argument] = field(default_factory=dict)


def _text(value: Value, scope: Scope) -> str:
    """A scalar attribute as a string, substitutions done."""
    data = value.data
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, (int, float)):
        return str(data)
    if data is None:
        return ""
    if not isinstance(data, str):
        raise value.error(f"expected a text value, got a {type(data).__name__}")
    return substitute(data, scope, value.where)


def _entity_list(value: Value, tag: str, what: str) -> list[dict[str, Value]]:
    if not isinstance(value.data, list) or not all(isinstance(v.data, dict) for v in value.data):
        raise value.error(f"<{tag}>: `{what}` must be a list of mappings")
    return [v.data for v in value.data]


def _check_keys(mapping: dict[str, Value], allowed: set[str], what: str) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise mapping[unknown[0]].error(f"{what}: attribute {unknown[0]!r} is not supported by taishan launch (supported: {', '.join(sorted(allowed))})")


def _parameter_value(value: Value, scope: Scope) -> Any:
    """launch_ros's rule: strings are substituted, then read as YAML; lists must be of one type."""
    data = value.data
    if isinstance(data, list):
        items = [_parameter_value(v, scope) for v in data]
        if not items or len({type(i) for i in items}) != 1 or isinstance(items[0], list):
            raise value.error("a list parameter needs items of one type (bool, int, float or str)")
        return items
    if isinstance(data, str):
        text = substitute(data, scope, value.where)
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            return text
        if parsed is None:
            raise value.error(f"parameter value {data!r} is empty after substitution")
        if isinstance(parsed, list):
            return _parameter_value(Value([Value(p, value.file, value.line) for p in parsed], value.file, value.line), scope)
        return parsed if isinstance(parsed, (bool, int, float, str)) else text
    if isinstance(data, (bool, int, float)):
        return data
    raise value.error(f"unsupported parameter value {data!r}")


def _yaml_argument(value: Any) -> str:
    """A parameter value as `-p name:=VALUE` wants it: YAML flow style."""
    lines = yaml.safe_dump(value, default_flow_style=True, width=1 << 20).strip().splitlines()
    return " ".join(line for line in lines if line != "...")


def resolve_namespace(base: str, ns: str) -> str:
    """launch_ros's rule: a relative namespace goes under the pushed one, an absolute one stays."""
    if not ns:
        return base
    if ns.startswith("/") or not base or base == "/":
        combined = ns
    else:
        combined = f"{base}/{ns}"
    combined = combined.rstrip("/") or "/"
    return combined if combined.startswith("/") else "/" + combined


def executable(package: str, name: str, where: str) -> list[str]:
    """The command that starts `name` of `package`: lib/<package>/<name> in an ament prefix (as
    `ros2 run` finds it), or, for taishan, the console script of this installation run by this
    Python (so the node runs in the same environment as the launcher)."""
    for prefix in filter(None, os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep)):
        path = Path(prefix) / "lib" / package / name
        if path.is_file() and os.access(path, os.X_OK):
            return [str(path)]
    if package == "taishan":
        scripts = {ep.name: ep for ep in importlib.metadata.entry_points(group="console_scripts")
                   if ep.dist is not None and ep.dist.name == "taishan"}
        if name in scripts:
            ep = scripts[name]
            return [sys.executable, "-c", f"import sys; sys.argv[0] = {name!r}; from {ep.module} import {ep.attr}; sys.exit({ep.attr}())"]
        raise LaunchError(where, f"taishan has no executable {name!r} (console scripts: {', '.join(sorted(scripts)) or 'none'}; "
                                 "after changing setup.py, reinstall with `pip install -e .`)")
    raise LaunchError(where, f"executable {name!r} of package {package!r} not found (looked in <prefix>/lib/{package}/ of AMENT_PREFIX_PATH)")


class Interpreter:
    def __init__(self, arguments: dict[str, str]):
        self.given = dict(arguments)
        self.plan = Plan()
        self._counts: dict[str, int] = {}

    def run(self, path: str | Path) -> Plan:
        path = Path(path).resolve()
        scope = Scope(dict(self.given), path, declared={})
        self._entities(load(path), scope)
        unknown = sorted(set(self.given) - set(self.plan.arguments))
        if unknown:
            raise LaunchError(str(path), f"unknown launch argument(s) {', '.join(unknown)} "
                                         f"(declared: {', '.join(self.plan.arguments) or 'none'})")
        return self.plan

    def _entities(self, entities: list[Entity], scope: Scope) -> None:
        for e in entities:
            tag = ALIASES.get(e.tag, e.tag)
            if tag not in ATTRIBUTES:
                raise e.error(f"not supported by taishan launch (supported: {', '.join(ATTRIBUTES)}; see `taishan launch --help`)")
            _check_keys(e.attributes, ATTRIBUTES[tag], f"<{e.tag}>")
            if (e.children is not None) != (tag == "group"):
                raise e.error("only <group> has children" if tag != "group" else "a group needs `children` (a list of entities)")
            if not self._condition(e, scope):
                continue
            getattr(self, "_" + tag.replace("-", "_"))(e, scope)

    def _condition(self, e: Entity, scope: Scope) -> bool:
        if "if" in e.attributes and not as_bool(_text(e.attributes["if"], scope), e.attributes["if"].where):
            return False
        return not ("unless" in e.attributes and as_bool(_text(e.attributes["unless"], scope), e.attributes["unless"].where))

    def _required(self, e: Entity, name: str) -> Value:
        if name not in e.attributes:
            raise e.error(f"attribute {name!r} is required")
        return e.attributes[name]

    def _arg(self, e: Entity, scope: Scope) -> None:
        name = _text(self._required(e, "name"), scope)
        default = _text(e.attributes["default"], scope) if "default" in e.attributes else None
        description = _text(e.attributes["description"], scope) if "description" in e.attributes else ""
        choices: tuple[str, ...] = ()
        if "choices" in e.attributes:
            raw = e.attributes["choices"]
            if not isinstance(raw.data, list):
                raise raw.error("<arg>: `choices` must be a list")
            choices = tuple(_text(v, scope) for v in raw.data)
        self.plan.arguments.setdefault(name, Argument(name, default, description, choices, e.where))
        scope.declared[name] = description
        if name not in scope.configurations:
            if default is None:
                raise e.error(f"launch argument {name!r} is required ({description or 'no description'}): give {name}:=VALUE")
            scope.configurations[name] = default
        if choices and scope.configurations[name] not in choices:
            raise e.error(f"launch argument {name!r} is {scope.configurations[name]!r}, not one of {', '.join(choices)}")

    def _let(self, e: Entity, scope: Scope) -> None:
        scope.configurations[_text(self._required(e, "name"), scope)] = _text(self._required(e, "value"), scope)

    def _group(self, e: Entity, scope: Scope) -> None:
        scoped = as_bool(_text(e.attributes["scoped"], scope), e.where) if "scoped" in e.attributes else True
        self._entities(e.children or [], scope.child() if scoped else scope)

    def _push_ros_namespace(self, e: Entity, scope: Scope) -> None:
        scope.namespace = resolve_namespace(scope.namespace, _text(self._required(e, "namespace"), scope))

    def _include(self, e: Entity, scope: Scope) -> None:
        path = Path(_text(self._required(e, "file"), scope))
        if not path.is_absolute():
            path = scope.file.parent / path
        if path.suffix not in (".yaml", ".yml"):
            raise e.error(f"taishan launch includes launch YAML files only, not {path.name}")
        inner = scope.child()
        inner.file = path.resolve()
        for item in _entity_list(e.attributes["arg"], "include", "arg") if "arg" in e.attributes else []:
            _check_keys(item, {"name", "value"}, "<include> arg")
            if "name" not in item or "value" not in item:
                raise e.attributes["arg"].error("<include>: each arg needs `name` and `value`")
            inner.configurations[_text(item["name"], scope)] = _text(item["value"], scope)
        self._entities(load(inner.file), inner)

    def _node(self, e: Entity, scope: Scope) -> None:
        a = e.attributes
        package = _text(self._required(e, "pkg"), scope)
        exec_name = _text(self._required(e, "exec"), scope)
        cmd = executable(package, exec_name, e.where)
        if "args" in a:
            cmd += shlex.split(_text(a["args"], scope))
        if "output" in a and _text(a["output"], scope) not in ("screen", "log", "both"):
            raise a["output"].error("<node>: output must be screen, log or both")
        ros: list[str] = []
        name = _text(a["name"], scope) if "name" in a else ""
        if name:
            ros += ["-r", f"__node:={name}"]
        namespace = resolve_namespace(scope.namespace, _text(a["namespace"], scope) if "namespace" in a else "")
        if namespace and namespace != "/":
            ros += ["-r", f"__ns:={namespace}"]
        for item in _entity_list(a["param"], "node", "param") if "param" in a else []:
            ros += self._param(item, a["param"], scope, "")
        for item in _entity_list(a["remap"], "node", "remap") if "remap" in a else []:
            _check_keys(item, {"from", "to"}, "<node> remap")
            if set(item) != {"from", "to"}:
                raise a["remap"].error("<node>: each remap needs `from` and `to`")
            ros += ["-r", f"{_text(item['from'], scope)}:={_text(item['to'], scope)}"]
        if "ros_args" in a:
            ros += shlex.split(_text(a["ros_args"], scope))
        if ros:
            cmd += ["--ros-args", *ros]
        label = name or exec_name
        self._counts[label] = self._counts.get(label, 0) + 1
        self.plan.processes.append(Process(f"{label}-{self._counts[label]}", cmd, e.where))

    def _param(self, item: dict[str, Value], owner: Value, scope: Scope, prefix: str) -> list[str]:
        _check_keys(item, {"name", "value", "from", "param"}, "<node> param")
        if "from" in item:
            if set(item) != {"from"}:
                raise owner.error("<node>: a param with `from` takes no other attribute")
            path = Path(_text(item["from"], scope))
            if not path.is_file():
                raise item["from"].error(f"<node>: params file {str(path)!r} not found")
            return ["--params-file", str(path)]
        if "name" not in item or ("value" in item) == ("param" in item):
            raise owner.error("<node>: each param needs `name` and either `value` or nested `param`s (or only `from`)")
        name = prefix + _text(item["name"], scope)
        if "param" in item:
            out = []
            for nested in _entity_list(item["param"], "node", "param"):
                out += self._param(nested, item["param"], scope, name + ".")
            return out
        return ["-p", f"{name}:={_yaml_argument(_parameter_value(item['value'], scope))}"]


def interpret(path: str | Path, arguments: dict[str, str]) -> Plan:
    """The processes `path` starts with these launch arguments, and every argument it declares."""
    return Interpreter(arguments).run(path)
