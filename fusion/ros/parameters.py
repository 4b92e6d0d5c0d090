"""Declare a config schema's parameters on an rclpy node and read them back as a validated config.

Every field becomes a typed, read-only parameter with its range and description (see
fusion.ros.parameter_schema), so `ros2 param describe` documents the node and a params file
(configs/*.yaml, `--params-file`) or `-p name:=value` sets it. All problems are collected before
anything fails: a wrong type, a value out of range, an unknown name (ROS would silently ignore it)
and the schema's own checks come back together as one ConfigError naming the node, its params
files and each parameter.
"""
from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import InvalidParameterTypeException, InvalidParameterValueException
from rclpy.node import Node
from rclpy.parameter import Parameter

from fusion.config.loader import StrictModel, parse_config
from fusion.core.errors import ConfigError
from fusion.ros.parameter_schema import ParameterSpec, expand, nest, parameter_specs, range_of

_TYPES = {
    "bool": Parameter.Type.BOOL, "integer": Parameter.Type.INTEGER, "double": Parameter.Type.DOUBLE,
    "string": Parameter.Type.STRING, "bool_array": Parameter.Type.BOOL_ARRAY,
    "integer_array": Parameter.Type.INTEGER_ARRAY, "double_array": Parameter.Type.DOUBLE_ARRAY,
    "string_array": Parameter.Type.STRING_ARRAY,
}
_TYPE_WORDS = {
    "bool": "true or false", "integer": "an integer", "double": "a floating-point number (write 2.0, not 2)",
    "string": "a string", "bool_array": "a list of booleans", "integer_array": "a list of integers",
    "double_array": "a list of floating-point numbers (write [1.0, 2.0], not [1, 2])", "string_array": "a list of strings",
}
# Parameters rclpy itself declares or reads; never "unknown".
_RCLPY_OWNED = ("use_sim_time", "start_type_description_service", "qos_overrides.")


def given_parameter_names(node: Node) -> list[str]:
    """Names that the params files and -p arguments set for this node. rclpy keeps these overrides
    in Node._parameter_overrides and has no public accessor for them (Humble to Kilted)."""
    return list(getattr(node, "_parameter_overrides", {}))


def params_files(argv: list[str] | None = None) -> list[str]:
    """The --params-file arguments of this process (for error messages)."""
    argv = sys.argv if argv is None else argv
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--params-file"]


def descriptor(spec: ParameterSpec) -> ParameterDescriptor:
    d = ParameterDescriptor(name=spec.name, type=_TYPES[spec.kind].value, description=spec.description,
                            read_only=True, additional_constraints=spec.constraints)
    bounds = range_of(spec)
    if bounds is not None and spec.kind == "integer":
        d.integer_range = [IntegerRange(from_value=bounds[0], to_value=bounds[1], step=0)]
    elif bounds is not None:
        d.floating_point_range = [FloatingPointRange(from_value=bounds[0], to_value=bounds[1], step=0.0)]
    return d


def _declare(node: Node, spec: ParameterSpec, ignore_override: bool = False) -> Any:
    """Declare one parameter; returns its value (None when unset and without a default)."""
    default = spec.default
    if default is None or (isinstance(default, list) and not default):
        param = node.declare_parameter(spec.name, _TYPES[spec.kind], descriptor(spec), ignore_override=ignore_override)
        return default if param.type_ == Parameter.Type.NOT_SET else param.value
    if spec.kind == "double_array":
        default = [float(v) for v in default]
    return node.declare_parameter(spec.name, default, descriptor(spec), ignore_override=ignore_override).value


def _plain(value: Any) -> Any:
    """rclpy returns arrays as array.array or numpy; the schema expects lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def declare_configs(node: Node, sections: list[tuple[str, type[StrictModel]]]) -> list[StrictModel]:
    """Declare each (prefix, schema) section's parameters, names prefixed with `prefix` ('' for the
    top level, where a configs/*.yaml params file puts them; 'node.' for a nested section), and return
    the validated configs in the same order. A name the params files set that no section declares is
    an error (ROS would ignore it silently)."""
    source = f"parameters of node {node.get_fully_qualified_name()}"
    files = params_files()
    if files:
        source += f" (params files: {', '.join(files)})"
    given = given_parameter_names(node)
    problems: list[str] = []
    values: list[dict[str, Any]] = []
    for prefix, model in sections:
        others = tuple(p for p, _ in sections if p and p != prefix)
        ours = [n[len(prefix):] for n in given if n.startswith(prefix) and not n.startswith(others)]
        values.append({})
        for spec in expand(parameter_specs(model), ours):
            declared = replace(spec, name=prefix + spec.name)
            try:
                value = _declare(node, declared)
            except InvalidParameterTypeException:
                problems.append(f"{declared.name}: expected {_TYPE_WORDS[spec.kind]} (got {_given_value(node, declared.name)!r})")
                value = _declare(node, declared, ignore_override=True)
            except InvalidParameterValueException as exc:
                problems.append(f"{declared.name}: {_reason(exc, declared)}")
                value = _declare(node, declared, ignore_override=True)
            if value is not None:
                values[-1][spec.name] = _plain(value)
    problems += [f"{name}: unknown parameter (misspelt, or not valid for this node)" for name in given
                 if not node.has_parameter(name) and not name.startswith(_RCLPY_OWNED)]
    if problems:
        raise ConfigError(source, problems)
    configs = []
    for (prefix, model), section_values in zip(sections, values):
        try:
            configs.append(parse_config(nest(section_values), model, source))
        except ConfigError as exc:   # name the parameters as ROS spells them
            problems += [f"{prefix}{p}" for p in exc.problems]
    if problems:
        raise ConfigError(source, problems)
    return configs


def _given_value(node: Node, name: str) -> Any:
    param = getattr(node, "_parameter_overrides", {}).get(name)
    return None if param is None else _plain(param.value)


def _reason(exc: InvalidParameterValueException, spec: ParameterSpec) -> str:
    bounds = range_of(spec)
    text = str(exc)
    if bounds is not None and "out of range" in text:
        return f"out of range [{bounds[0]:g}, {bounds[1]:g}] (got {text.split('value: ')[-1].split(':')[0]})"
    return text
