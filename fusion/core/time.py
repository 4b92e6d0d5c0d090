"""Stamps are int nanoseconds since an epoch (ROS time); these helpers convert at the edges."""
from __future__ import annotations

import math

from fusion.core.errors import InputError

NS_PER_S = 1_000_000_000


def seconds_to_ns(seconds: float) -> int:
    """Seconds (float) to an int-nanosecond stamp, rounded to the nearest nanosecond."""
    if not math.isfinite(seconds):
        raise InputError("stamp", f"non-finite time {seconds!r} s")
    return int(round(seconds * NS_PER_S))


def ns_to_seconds(stamp_ns: int) -> float:
    """An int-nanosecond stamp to float seconds (for maths, never for storage)."""
    return stamp_ns / NS_PER_S


def ros_time_to_ns(sec: int, nanosec: int) -> int:
    """builtin_interfaces/Time (sec, nanosec) to an int-nanosecond stamp."""
    if not 0 <= nanosec < NS_PER_S:
        raise InputError("stamp", f"nanosec {nanosec} outside [0, 1e9)")
    return int(sec) * NS_PER_S + int(nanosec)


def ns_to_ros_time(stamp_ns: int) -> tuple[int, int]:
    """An int-nanosecond stamp to builtin_interfaces/Time (sec, nanosec)."""
    sec, nanosec = divmod(int(stamp_ns), NS_PER_S)
    return sec, nanosec


def check_stamp(stamp_ns: object, source: str) -> int:
    """Return the stamp as int, or raise InputError naming the source when it is not an integer."""
    if isinstance(stamp_ns, bool) or not isinstance(stamp_ns, (int,)) and not hasattr(stamp_ns, "__index__"):
        raise InputError(source, f"stamp must be int nanoseconds, got {type(stamp_ns).__name__} {stamp_ns!r}")
    return int(stamp_ns)  # type: ignore[arg-type]
