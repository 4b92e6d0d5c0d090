"""Checks of the real-rclpy environment; runs INSIDE .venv-ros (started by test_ros_environment.py).

    .venv-ros/bin/python tests/ros/ros_roundtrip.py serialize
        every message type generated from ros/interfaces/ round-trips through
        rclpy.serialization, filled with non-default values, and rosbags (the replay runtime) reads
        rclpy's bytes back to the same values.
    tools/netns_run.sh .venv-ros/bin/python tests/ros/ros_roundtrip.py pubsub
        this process publishes one fully filled message of each of four types; a second process
        (`... sub`) subscribes, and both wait for DDS matching with a deadline before anything is
        sent. Exit status 0 means every message arrived intact.

Not collected by pytest (no test_ prefix): it imports rclpy, which only .venv-ros has.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import rclpy
from rclpy.serialization import deserialize_message, serialize_message
from rosidl_parser import definition as idl

REPO = Path(__file__).resolve().parents[2]
INTERFACES = REPO / "ros" / "interfaces"

# The four types sent over DDS in `pubsub`: "pkg/msg/Name".
PUBSUB_TYPES = (
    "autoware_perception_msgs/msg/TrackedObjects",
    "vision_msgs/msg/Detection3DArray",
    "radar_msgs/msg/RadarScan",
    "tf2_msgs/msg/TFMessage",
)
MATCH_DEADLINE_S = 15.0
DELIVERY_DEADLINE_S = 10.0


def message_class(type_name: str):
    pkg, _, name = type_name.split("/")
    return getattr(importlib.import_module(f"{pkg}.msg"), name)


def generated_types() -> list[str]:
    """Every message type we generate: one per .msg file under ros/interfaces/."""
    return sorted(f"{p.parent.parent.name}/msg/{p.stem}" for p in INTERFACES.glob("*/msg/*.msg"))


# --- fill every field with a distinct non-default value ----------------------------------------------
class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


_INT_RANGES = {
    "int8": 127, "uint8": 255, "int16": 32767, "uint16": 65535, "int32": 2**31 - 1,
    "uint32": 2**32 - 1, "int64": 2**63 - 1, "uint64": 2**64 - 1,
}


def _value(slot, c: _Counter):
    if isinstance(slot, idl.BasicType):
        t = slot.typename
        if t == "boolean":
            return True
        if t == "octet":
            return bytes([c.next() % 256])
        if t in ("float", "double"):
            return c.next() + 0.25  # exactly representable in float32 too
        if t in _INT_RANGES:
            v = c.next() % _INT_RANGES[t] or 1
            return -v if t.startswith("int") and v % 2 else v  # signed types get negatives too
        if t == "char":
            return chr(ord("a") + c.next() % 26)
        raise TypeError(f"unhandled basic type {t}")
    if isinstance(slot, (idl.UnboundedString, idl.BoundedString)):
        return f"taishan-{c.next()}-ü"  # non-ASCII: strings are UTF-8 on the wire
    if isinstance(slot, (idl.UnboundedWString, idl.BoundedWString)):
        return f"w-{c.next()}"
    if isinstance(slot, idl.NamespacedType):
        return fill(getattr(importlib.import_module(".".join(slot.namespaces)), slot.name)(), c)
    if isinstance(slot, idl.Array):
        return [_value(slot.value_type, c) for _ in range(slot.size)]
    if isinstance(slot, idl.AbstractSequence):  # bounded or unbounded sequence
        n = 2 if not isinstance(slot, idl.BoundedSequence) else min(2, slot.maximum_size)
        return [_value(slot.value_type, c) for _ in range(n)]
    raise TypeError(f"unhandled slot type {slot!r}")


def fill(msg, c: _Counter | None = None):
    c = c or _Counter()
    for field, slot in zip(msg.get_fields_and_field_types(), msg.SLOT_TYPES):
        setattr(msg, field, _value(slot, c))
    return msg


def filled(type_name: str):
    return fill(message_class(type_name)())


# --- compare field by field, saying where they differ ------------------------------------------------
def plain(value):
    if hasattr(value, "get_fields_and_field_types"):
        return {f: plain(getattr(value, f)) for f in value.get_fields_and_field_types()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)) or type(value).__name__ == "array":
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value):  # a rosbags message; its constants are fields too (upper case)
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "__msgtype__" and not f.name.isupper()}
    return value


def first_difference(a, b, path="msg"):
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{path}: fields {sorted(a)} != {sorted(b)}"
        for k in a:
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(a, (bytes, bytearray)) and isinstance(b, int):
        a = a[0]
    if isinstance(b, (bytes, bytearray)) and isinstance(a, int):
        b = b[0]
    return None if a == b else f"{path}: {a!r} != {b!r}"


def check_same(sent, got, what: str) -> None:
    diff = first_difference(plain(sent), plain(got))
    if diff or sent != got:
        raise AssertionError(f"{what}: message changed: {diff or 'generated __eq__ says they differ'}")


# --- serialize ---------------------------------------------------------------------------------------
def rosbags_typestore():
    """rosbags' Jazzy store plus our .msg files: the replay runtime reading the same definitions."""
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    store = get_typestore(Stores.ROS2_JAZZY)
    types = {}
    for path in INTERFACES.glob("*/msg/*.msg"):
        name = f"{path.parent.parent.name}/msg/{path.stem}"
        if name not in store.fielddefs:  # tf2_msgs/TFMessage is in the store already
            types.update(get_types_from_msg(path.read_text(), name))
    store.register(types)
    return store


def run_serialize() -> int:
    names = generated_types()
    if not names:
        raise SystemExit(f"no .msg files under {INTERFACES}")
    store = rosbags_typestore()
    for name in names:
        cls = message_class(name)
        for label, msg in (("default", cls()), ("filled", filled(name))):
            raw = serialize_message(msg)
            check_same(msg, deserialize_message(raw, cls), f"{name} ({label}) rclpy round trip")
            # rosbags decodes rclpy's CDR to the same values, and rclpy decodes rosbags' CDR of them.
            # (Bytes are not compared: Fast CDR leaves alignment padding uninitialised.)
            theirs = store.deserialize_cdr(raw, name)
            diff = first_difference(plain(msg), plain(theirs))
            if diff:
                raise AssertionError(f"{name} ({label}): rosbags reads rclpy's bytes differently: {diff}")
            back = deserialize_message(bytes(store.serialize_cdr(theirs, name)), cls)
            check_same(msg, back, f"{name} ({label}) rosbags -> rclpy")
        print(f"serialize ok: {name}")
    print(json.dumps({"serialized_types": len(names)}))
    return 0


# --- pubsub ------------------------------------------------------------------------------------------
def topic(type_name: str) -> str:
    pkg, _, name = type_name.split("/")
    return f"/taishan_env/{pkg}/{name}"


def qos():
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10,
                      reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)


def spin_until(executor, done, deadline_s: float, what: str) -> None:
    end = time.monotonic() + deadline_s
    while not done():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out after {deadline_s:.0f} s waiting for {what}")
        executor.spin_once(timeout_sec=0.05)


def run_sub() -> int:
    """Child process: subscribe to the four topics, say READY once matched, check what arrives."""
    from rclpy.executors import SingleThreadedExecutor

    rclpy.init()
    node = rclpy.create_node("taishan_env_sub")
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    received: dict[str, object] = {}
    subs = [
        node.create_subscription(message_class(t), topic(t), lambda m, t=t: received.setdefault(t, m), qos())
        for t in PUBSUB_TYPES
    ]
    try:
        spin_until(executor,
                   lambda: all(s.get_publisher_count() >= 1 and node.count_publishers(s.topic_name) >= 1 for s in subs),
                   MATCH_DEADLINE_S, "the subscriber side to match the publishers")
        print("READY", flush=True)
        spin_until(executor, lambda: len(received) == len(PUBSUB_TYPES), DELIVERY_DEADLINE_S,
                   f"messages (got {sorted(received)})")
        for t in PUBSUB_TYPES:
            check_same(filled(t), received[t], f"{t} over DDS")
            print(f"received intact: {t}", flush=True)
    finally:
        node.destroy_node()
        rclpy.shutdown()
    return 0


def run_pubsub() -> int:
    from rclpy.executors import SingleThreadedExecutor

    child = subprocess.Popen([sys.executable, __file__, "sub"], stdout=subprocess.PIPE, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in child.stdout:
            print(f"[sub] {line.rstrip()}", flush=True)
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    rclpy.init()
    node = rclpy.create_node("taishan_env_pub")
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    pubs = {t: node.create_publisher(message_class(t), topic(t), qos()) for t in PUBSUB_TYPES}
    child_ready = False

    def matched() -> bool:
        nonlocal child_ready
        while not lines.empty():
            line = lines.get_nowait()
            if line is None:
                raise RuntimeError(f"subscriber process ended early (exit {child.wait()})")
            child_ready = child_ready or line == "READY"
        return child_ready and all(
            p.get_subscription_count() >= 1 and node.count_subscribers(p.topic_name) >= 1 for p in pubs.values())

    try:
        t0 = time.monotonic()
        spin_until(executor, matched, MATCH_DEADLINE_S, "publishers and subscribers to match")
        print(f"matched after {time.monotonic() - t0:.2f} s", flush=True)
        for t, pub in pubs.items():
            pub.publish(filled(t))  # exactly one message per type
        end = time.monotonic() + DELIVERY_DEADLINE_S + 5
        while child.poll() is None:  # keep our side spinning (acks, resends) until the child is done
            if time.monotonic() > end:
                child.kill()
                raise TimeoutError("subscriber process did not finish")
            executor.spin_once(timeout_sec=0.05)
    finally:
        if child.poll() is None:
            child.kill()
        node.destroy_node()
        rclpy.shutdown()
    rc = child.wait()
    print(json.dumps({"pubsub_types": len(PUBSUB_TYPES), "subscriber_exit": rc}), flush=True)
    return rc


if __name__ == "__main__":
    commands = {"serialize": run_serialize, "pubsub": run_pubsub, "sub": run_sub}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        raise SystemExit(f"usage: {sys.argv[0]} {{{'|'.join(commands)}}}")
    if not os.environ.get("_ROS_WHEELS_BOOTSTRAP_COMPLETE"):
        print("note: the ros_wheels_bootstrapper .pth hook did not run (started with -S?)", file=sys.stderr)
    sys.exit(commands[sys.argv[1]]())
