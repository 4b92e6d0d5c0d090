"""ROS 2 parameters derived from a config schema (a StrictModel), so the schema stays the one source
of truth for names, types, ranges, defaults and descriptions.

Nested models become dotted names (`motion.accel_psd`), as a ROS 2 params file nests them. A
`dict[str, X]` field has names chosen by the user (`association.class_groups.vehicle`): its keys are
the default's plus those the params files bring. Descriptions are the field's `description`, else the
comment that ends the field's line in the schema's source (`accel_psd: Positive = 2.0  # m^2/s^3`),
with the allowed values and range appended. Nothing here imports rclpy (fusion.ros.parameters does).
"""
from __future__ import annotations

import inspect
import io
import math
import tokenize
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Literal

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from fusion.config.loader import StrictModel

# ROS parameter kinds (rcl_interfaces/ParameterType names, lower case) of scalar Python types.
_SCALAR_KINDS = {bool: "bool", int: "integer", float: "double", str: "string"}
INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class ParameterSpec:
    """One declared parameter: `kind` is a ParameterType name (bool, integer, double, string,
    bool_array, integer_array, double_array, string_array); `default` is None for required fields."""

    name: str
    kind: str
    default: Any
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    constraints: str = ""    # what a ROS range cannot say (exclusive bounds, lengths), for the description


@dataclass(frozen=True)
class MappingSpec:
    """A dict[str, X] field: one parameter per key under `prefix`, each like `template`."""

    prefix: str
    template: ParameterSpec
    default: dict[str, Any] = field(default_factory=dict)

    def entry(self, key: str) -> ParameterSpec:
        t = self.template
        return ParameterSpec(f"{self.prefix}.{key}", t.kind, self.default.get(key), t.description,
                             t.minimum, t.maximum, t.choices, t.constraints)


class SchemaError(TypeError):
    """A schema field that cannot be a ROS parameter (a programming error, not a user's)."""


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _scalar(annotation: Any, where: str) -> tuple[str, tuple[str, ...]]:
    """(kind, choices) of a scalar annotation."""
    annotation = _unwrap_optional(annotation)
    if typing.get_origin(annotation) is Literal:
        values = typing.get_args(annotation)
        if not all(isinstance(v, str) for v in values):
            raise SchemaError(f"{where}: only string literals can be ROS parameters")
        return "string", tuple(values)
    if annotation in _SCALAR_KINDS:
        return _SCALAR_KINDS[annotation], ()
    raise SchemaError(f"{where}: type {annotation!r} cannot be a ROS parameter")


def _bounds(metadata: Iterable[Any]) -> tuple[float | None, float | None, list[str]]:
    """(minimum, maximum, notes) from annotated-types constraints; exclusive bounds become the
    inclusive ROS range plus a note (pydantic enforces them when the config is validated)."""
    low = high = None
    notes = []
    for m in metadata:
        if isinstance(m, at.Ge):
            low = m.ge
        elif isinstance(m, at.Gt):
            low = m.gt
            notes.append(f"> {m.gt:g}")
        elif isinstance(m, at.Le):
            high = m.le
        elif isinstance(m, at.Lt):
            high = m.lt
            notes.append(f"< {m.lt:g}")
        elif isinstance(m, at.MinLen) and m.min_length:
            notes.append(f"length >= {m.min_length}")
        elif isinstance(m, at.MaxLen):
            notes.append(f"length <= {m.max_length}")
    return low, high, notes


def _element_metadata(annotation: Any) -> list[Any]:
    """Constraints on list elements (`list[Annotated[float, Field(ge=0)]]`)."""
    if typing.get_origin(annotation) is typing.Annotated:
        info = [a for a in typing.get_args(annotation)[1:] if isinstance(a, FieldInfo)]
        return [m for i in info for m in i.metadata]
    return []


@lru_cache(maxsize=None)
def field_comments(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> the comment ending its definition line, over the model and its bases
    (a subclass's own comment wins)."""
    comments: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls in (BaseModel, StrictModel):
            continue
        try:
            source = inspect.getsource(cls)
        except (OSError, TypeError):
            continue
        line_names: dict[int, str] = {}
        for number, line in enumerate(source.splitlines(), start=1):
            head = line.strip().split(":", 1)[0]
            if line.startswith(" " * 4) and not line.startswith(" " * 5) and head.isidentifier() and ":" in line:
                line_names[number] = head
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and token.start[0] in line_names:
                comments[line_names[token.start[0]]] = token.string.lstrip("#").strip()
    return comments


def _describe(base: str, spec_choices: tuple[str, ...], low: float | None, high: float | None, notes: list[str]) -> str:
    parts = [base] if base else []
    if spec_choices:
        parts.append("one of: " + ", ".join(spec_choices))
    if low is not None or high is not None:
        parts.append(f"range [{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]")
    parts.extend(notes)
    return "; ".join(parts)


def _leaf(name: str, info: FieldInfo, comment: str) -> ParameterSpec:
    annotation = info.annotation
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    low, high, notes = _bounds(info.metadata)
    base = info.description or comment
    if typing.get_origin(annotation) is list:
        (element,) = typing.get_args(annotation)
        kind, choices = _scalar(element, name)
        e_low, e_high, e_notes = _bounds(_element_metadata(element))
        notes += [f"each {n}" for n in e_notes]
        if e_low is not None or e_high is not None:
            notes.append(f"each in [{'-inf' if e_low is None else f'{e_low:g}'}, {'inf' if e_high is None else f'{e_high:g}'}]")
        return ParameterSpec(name, f"{kind}_array", default, _describe(base, choices, None, None, notes),
                             choices=choices, constraints="; ".join(notes))
    kind, choices = _scalar(annotation, name)
    if kind not in ("integer", "double"):
        low = high = None
    return ParameterSpec(name, kind, default, _describe(base, choices, low, high, notes), low, high, choices,
                         "; ".join(notes))


def parameter_specs(model: type[StrictModel], prefix: str = "") -> list[ParameterSpec | MappingSpec]:
    """Every parameter of `model`, depth first in field order."""
    out: list[ParameterSpec | MappingSpec] = []
    comments = field_comments(model)
    for name, info in model.model_fields.items():
        full = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, StrictModel):
            out.extend(parameter_specs(annotation, f"{full}."))
        elif typing.get_origin(annotation) is dict:
            key_type, value_type = typing.get_args(annotation)
            if key_type is not str:
                raise SchemaError(f"{full}: only dict[str, ...] fields can be ROS parameters")
            template = _leaf(f"{full}.*", FieldInfo(annotation=value_type), info.description or comments.get(name, ""))
            default = {} if info.is_required() else dict(info.get_default(call_default_factory=True))
            out.append(MappingSpec(full, template, default))
        else:
            out.append(_leaf(full, info, comments.get(name, "")))
    return out


def expand(specs: Iterable[ParameterSpec | MappingSpec], given: Iterable[str]) -> list[ParameterSpec]:
    """Plain specs with every mapping expanded to its default keys plus the keys in `given`
    (the names of the parameters the params files and -p arguments set)."""
    given = list(given)
    out: list[ParameterSpec] = []
    for spec in specs:
        if isinstance(spec, MappingSpec):
            keys = dict.fromkeys(spec.default)
            keys.update(dict.fromkeys(n[len(spec.prefix) + 1:] for n in given if n.startswith(spec.prefix + ".")))
            out.extend(spec.entry(key) for key in keys if key and "." not in key)
        else:
            out.append(spec)
    return out


def nest(values: dict[str, Any]) -> dict[str, Any]:
    """{'motion.model': 'cv', 'frame_id': 'map'} -> {'motion': {'model': 'cv'}, 'frame_id': 'map'}."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        node = out
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def range_of(spec: ParameterSpec) -> tuple[float, float] | None:
    """The inclusive ROS range of a numeric parameter with at least one bound, open ends filled with
    the type's extremes; None when unbounded."""
    if spec.minimum is None and spec.maximum is None:
        return None
    if spec.kind == "integer":
        low = -INT64_MAX - 1 if spec.minimum is None else int(math.ceil(spec.minimum))
        high = INT64_MAX if spec.maximum is None else int(math.floor(spec.maximum))
        return low, high
    return (-math.inf if spec.minimum is None else float(spec.minimum),
            math.inf if spec.maximum is None else float(spec.maximum))
