"""std_msgs/Header and builtin_interfaces/Time: stamps in, stamps out."""
from __future__ import annotations

from typing import Any, Callable

from fusion.core.errors import InputError
from fusion.core.time import ns_to_ros_time, ros_time_to_ns

MessageTypes = Callable[[str], Any]
"""Maps a ROS type name ('sensor_msgs/msg/PointCloud2') to the message class to construct."""


def header_stamp_ns(header: Any, source: str) -> int:
    """The header's stamp as int nanoseconds; a missing or malformed stamp names the source."""
    try:
        return ros_time_to_ns(header.stamp.sec, header.stamp.nanosec)
    except AttributeError as exc:
        raise InputError(source, f"header has no stamp.sec / stamp.nanosec ({exc})") from None


def header_frame_id(header: Any, source: str) -> str:
    """The header's frame_id; an empty one is an error (nothing downstream can place the data)."""
    frame = getattr(header, "frame_id", "")
    if not frame:
        raise InputError(source, "header.frame_id is empty")
    return str(frame)


def make_header(types: MessageTypes, stamp_ns: int, frame_id: str) -> Any:
    sec, nanosec = ns_to_ros_time(stamp_ns)
    stamp = types("builtin_interfaces/msg/Time")(sec=sec, nanosec=nanosec)
    return types("std_msgs/msg/Header")(stamp=stamp, frame_id=frame_id)


def read_header(msg: Any, kind: str, topic: str = "") -> tuple[int, str, str]:
    """A message's stamp (int ns), frame_id and the source text its errors should name,
    e.g. "PointCloud2 on '/points' (frame 'lidar_top')"."""
    where = f"{kind} on {topic!r}" if topic else kind
    stamp_ns = header_stamp_ns(msg.header, where)
    frame_id = header_frame_id(msg.header, where)
    return stamp_ns, frame_id, f"{where} (frame {frame_id!r})"
