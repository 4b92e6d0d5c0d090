"""Runs INSIDE .venv-ros (started by test_rclpy_decode.py): decode every message of a bag with real
rclpy's deserialize_message and compare each field with what rosbags decodes from the same bytes.

    .venv-ros/bin/python tests/bags/rclpy_decode.py BAG [BAG...]

Prints a JSON report {"messages": {type: count}, "mismatches": [...], "errors": [...]}; exit status
0 when every message decoded and matched. Not collected by pytest (rclpy exists only in .venv-ros).
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from collections import Counter

import numpy as np
from rclpy.serialization import deserialize_message

from datasets.bags.reader import BagReader


def rclpy_class(type_name: str):
    pkg, _, name = type_name.split("/")
    return getattr(importlib.import_module(f"{pkg}.msg"), name)


def plain(value):
    """A message (rclpy or rosbags) as nested dicts and lists of Python scalars."""
    if hasattr(value, "get_fields_and_field_types"):
        return {name: plain(getattr(value, name)) for name in value.get_fields_and_field_types()}
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.name.startswith("__") and not f.name.isupper()}   # rosbags lists constants too
    if isinstance(value, bytes) and len(value) == 1:
        return value[0]                  # rclpy 'byte' fields
    if isinstance(value, (bytes, bytearray)):
        return ("bytes", bytes(value))
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray) or type(value).__name__ == "array":
        array = np.asarray(value)        # rclpy: array.array or numpy; rosbags: numpy
        return (array.dtype.kind, array.dtype.itemsize, array.tobytes())
    if isinstance(value, np.generic):
        return value.item()
    return value


def main(paths: list[str]) -> int:
    counts: Counter = Counter()
    mismatches, errors = [], []
    for path in paths:
        _check(path, counts, mismatches, errors)
    print(json.dumps({"messages": dict(counts), "mismatches": mismatches[:20], "errors": errors[:20]}))
    return 0 if counts and not mismatches and not errors else 1


def _check(path: str, counts: Counter, mismatches: list[str], errors: list[str]) -> None:
    with BagReader(path) as bag:
        for raw in bag.messages():
            counts[raw.msgtype] += 1
            try:
                ours = plain(bag.decode(raw))
                theirs = plain(deserialize_message(raw.data, rclpy_class(raw.msgtype)))
            except Exception as exc:  # report any failure, keep going
                errors.append(f"{raw.topic} ({raw.msgtype}) at {raw.log_ns}: {type(exc).__name__}: {exc}")
                continue
            if ours != theirs:
                mismatches.append(f"{raw.topic} ({raw.msgtype}) at {raw.log_ns}")
        errors.extend(bag.problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
