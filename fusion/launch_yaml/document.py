"""A launch YAML file as a tree of entities that remember their file and line.

The launch YAML format: the document is `launch:` holding a list of entities; an entity is a
one-key mapping `{tag: attributes}`, where attributes is a mapping (a `group` may instead be the
list of its children, or carry them under `children`). PyYAML's composer keeps the line numbers
that error messages need.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fusion.core.errors import TaishanError


class LaunchError(TaishanError):
    """A launch file problem, located as FILE:LINE."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}")


class _Located:
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def error(self, message: str) -> LaunchError:
        return LaunchError(self.where, message)


@dataclass
class Value(_Located):
    """A YAML value with its location: a scalar (str, int, float, bool, None), a list of Values or a
    dict of str -> Value."""

    data: Any
    file: str
    line: int


@dataclass
class Entity(_Located):
    """`tag` with its attributes (name -> Value) and, for groups, its children."""

    tag: str
    attributes: dict[str, Value]
    children: list[Entity] | None
    file: str
    line: int

    def error(self, message: str) -> LaunchError:
        return super().error(f"<{self.tag}>: {message}")


def _convert(node: yaml.Node, file: str) -> Value:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Value] = {}
        for key, value in node.value:
            name = yaml.safe_load(yaml.serialize(key)) if isinstance(key, yaml.ScalarNode) else None
            if not isinstance(name, str):
                raise LaunchError(f"{file}:{key.start_mark.line + 1}", "mapping keys must be strings")
            if name in out:
                raise LaunchError(f"{file}:{key.start_mark.line + 1}", f"key {name!r} appears twice")
            out[name] = _convert(value, file)
        return Value(out, file, line)
    if isinstance(node, yaml.SequenceNode):
        return Value([_convert(v, file) for v in node.value], file, line)
    return Value(yaml.safe_load(yaml.serialize(node)), file, line)   # a scalar, typed by YAML's rules


def entity(value: Value) -> Entity:
    """An entity from its one-key mapping."""
    if not isinstance(value.data, dict) or len(value.data) != 1:
        raise value.error("expected an entity: a mapping with exactly one key, the tag (e.g. `- node: {...}`)")
    ((tag, body),) = value.data.items()
    if isinstance(body.data, list):
        return Entity(tag, {}, [entity(v) for v in body.data], value.file, value.line)
    if body.data is None:
        return Entity(tag, {}, None, value.file, value.line)
    if not isinstance(body.data, dict):
        raise body.error(f"<{tag}>: expected a mapping of attributes, got {type(body.data).__name__}")
    attributes = dict(body.data)
    children = attributes.pop("children", None)
    if children is not None and not isinstance(children.data, list):
        raise children.error(f"<{tag}>: `children` must be a list of entities")
    return Entity(tag, attributes, None if children is None else [entity(v) for v in children.data], value.file, value.line)


def load(path: str | Path) -> list[Entity]:
    """The top-level entities of a launch YAML file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise LaunchError(str(path), f"cannot read launch file: {exc.strerror}") from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LaunchError(f"{path}:{mark.line + 1 if mark else '?'}", f"YAML syntax error: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        raise LaunchError(str(path), "empty launch file")
    doc = _convert(root, str(path))
    if not isinstance(doc.data, dict) or set(doc.data) != {"launch"}:
        raise doc.error("a launch YAML file is one mapping with the single key `launch`")
    body = doc.data["launch"]
    if not isinstance(body.data, list):
        raise body.error("`launch` must hold a list of entities")
    return [entity(v) for v in body.data]
