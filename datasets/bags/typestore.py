"""The rosbags typestore Taishan reads and writes with: ROS 2 Jazzy's standard messages plus the
interface packages that ship as .msg files under ros/interfaces/ (vision_msgs, radar_msgs,
autoware_perception_msgs, tf2_msgs), registered with rosbags' get_types_from_msg."""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.base import Nodetype
from rosbags.typesys.store import Typestore

from fusion.core.errors import TaishanError
from fusion.messages.header import MessageTypes


def interfaces_dir() -> Path:
    """ros/interfaces of the source tree or, when installed, share/taishan/ros/interfaces."""
    candidates = [Path(__file__).resolve().parents[2] / "ros" / "interfaces",
                  Path(sys.prefix) / "share" / "taishan" / "ros" / "interfaces"]
    for path in candidates:
        if path.is_dir():
            return path
    raise TaishanError(f"message definitions not found (looked in {', '.join(map(str, candidates))})")


def msg_definitions(root: Path | None = None) -> dict[str, str]:
    """'pkg/msg/Name' -> .msg text for every definition under ros/interfaces/<pkg>/msg/."""
    root = root or interfaces_dir()
    return {f"{p.parent.parent.name}/msg/{p.stem}": p.read_text() for p in sorted(root.glob("*/msg/*.msg"))}


@lru_cache(maxsize=1)
def default_typestore() -> Typestore:
    """Jazzy's types plus ours. A type Jazzy already has (tf2_msgs/TFMessage) keeps Jazzy's
    definition; ours must then describe the same fields, or this raises naming the type."""
    store = get_typestore(Stores.ROS2_JAZZY)
    ours: dict[str, Any] = {}
    for name, text in msg_definitions().items():
        ours.update(get_types_from_msg(text, name))
    clashes = [name for name, fields in ours.items() if name in store.fielddefs and store.fielddefs[name] != fields]
    if clashes:
        raise TaishanError(f"ros/interfaces redefines standard message type(s) differently: {', '.join(clashes)}")
    store.register({name: fields for name, fields in ours.items() if name not in store.fielddefs})
    return store


_NUMPY_TYPES = {
    "bool": np.bool_, "byte": np.uint8, "char": np.uint8, "octet": np.uint8, "int8": np.int8, "uint8": np.uint8,
    "int16": np.int16, "uint16": np.uint16, "int32": np.int32, "uint32": np.uint32, "int64": np.int64,
    "uint64": np.uint64, "float32": np.float32, "float64": np.float64,
}


class _Constructor:
    """A rosbags message class that, like rclpy's, gives every field left out its ROS default
    (zero, '', False, empty sequence, default sub-message). Constants read through to the class."""

    def __init__(self, store: Typestore, name: str):
        self.cls = store.types[name]
        self._store = store
        self._defaults: list[tuple[str, Callable[[], Any]]] = [
            (field, self._default_of(desc)) for field, desc in store.fielddefs[name][1]]

    def _default_of(self, desc: tuple[Any, Any]) -> Callable[[], Any]:
        kind, detail = desc
        if kind == Nodetype.BASE:
            base = detail[0]
            if base == "string" or base == "wstring":
                return str
            if base == "bool":
                return bool
            return float if base.startswith("float") else int
        if kind == Nodetype.NAME:
            return lambda: _Constructor(self._store, detail)()
        (item_kind, item), length = detail
        if item_kind == Nodetype.BASE and item[0] in _NUMPY_TYPES:
            dtype = _NUMPY_TYPES[item[0]]
            return lambda: np.zeros(length if kind == Nodetype.ARRAY else 0, dtype=dtype)
        make_item = self._default_of((item_kind, item))
        return lambda: [make_item() for _ in range(length if kind == Nodetype.ARRAY else 0)]

    def __call__(self, **fields: Any) -> Any:
        for name, make in self._defaults:
            if name not in fields:
                fields[name] = make()
        return self.cls(**fields)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cls, name)


def message_types(store: Typestore | None = None) -> MessageTypes:
    """The fusion.messages `types` callable for rosbags: 'pkg/msg/Name' -> a constructor that
    takes keyword fields and defaults the rest, as rclpy's message classes do."""
    store = store or default_typestore()
    constructors: dict[str, _Constructor] = {}

    def lookup(name: str) -> Any:
        if name not in constructors:
            if name not in store.types:
                raise TaishanError(f"message type {name!r} is not in the typestore")
            constructors[name] = _Constructor(store, name)
        return constructors[name]

    return lookup
