"""Load YAML configs into typed, validated models.

Config files are ROS 2 parameter files (`/**: ros__parameters: {...}` or `<node>: ros__parameters:`)
so the same file feeds `ros2 run --params-file` and the library; a plain mapping is accepted too.
Every problem is reported as `file: key.path: what was expected (got ...)`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from fusion.core.errors import ConfigError

M = TypeVar("M", bound="StrictModel")


class StrictModel(BaseModel):
    """Base of every config schema: unknown keys and wrong types are errors, not silently coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)

    def semantic_problems(self) -> list[tuple[str, str]]:
        """Cross-field checks a schema cannot express: (key path, problem) pairs. None by default."""
        return []


def _key_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("camera", "radar", "lidar", "imu", "gnss") and path.startswith("sensors."):
            continue  # the discriminated-union tag pydantic adds to the location
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _describe(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (misspelt, or not valid here)"
    if error["type"] == "missing":
        return "required key is missing"
    value = error.get("input")
    shown = repr(value) if not isinstance(value, dict) else "a mapping"
    return f"{error['msg']} (got {shown})"


def unwrap_ros_parameters(data: Any) -> Any:
    """The parameters of a ROS 2 params file with a single node entry, or the data itself."""
    if isinstance(data, dict) and len(data) == 1:
        (only,) = data.values()
        if isinstance(only, dict) and set(only) == {"ros__parameters"}:
            return only["ros__parameters"]
    return data


def parse_config(data: Any, model: type[M], source: str) -> M:
    """Validate already-parsed data (a mapping) against a schema; `source` names it in errors."""
    data = unwrap_ros_parameters(data)
    if not isinstance(data, dict):
        raise ConfigError(source, [f"(top level): expected a mapping of keys, got {type(data).__name__}"])
    try:
        config = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [f"{_key_path(e['loc'])}: {_describe(e)}" for e in exc.errors()]) from None
    problems = config.semantic_problems()
    if problems:
        raise ConfigError(source, [f"{path}: {msg}" for path, msg in problems])
    return config


def load_config(path: str | Path, model: type[M]) -> M:
    """Read a YAML file with yaml.safe_load and validate it against `model`."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read file: {exc.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(str(path), [f"{where}YAML syntax error: {getattr(exc, 'problem', exc)}"]) from None
    return parse_config(data, model, str(path))


def config_dir() -> Path:
    """The shipped configs: the source tree's configs/ or, when installed, share/taishan/configs."""
    here = Path(__file__).resolve().parents[2] / "configs"
    if here.is_dir():
        return here
    import sys

    installed = Path(sys.prefix) / "share" / "taishan" / "configs"
    return installed
