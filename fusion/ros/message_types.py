"""rclpy's generated message classes by ROS type name, and checked constructors of them as the
`types` callable of fusion.messages."""
from __future__ import annotations

import functools
import importlib
from functools import lru_cache
from typing import Any, Callable

from fusion.core.errors import TaishanError


@lru_cache(maxsize=None)
def ros_type(name: str) -> Any:
    """'sensor_msgs/msg/PointCloud2' -> sensor_msgs.msg.PointCloud2 (the interface package must be
    installed: on a ROS 2 machine its Debian package, here .venv-ros's generated ones)."""
    try:
        package, kind, cls = name.split("/")
    except ValueError:
        raise TaishanError(f"message type {name!r} is not of the form package/msg/Name") from None
    try:
        return getattr(importlib.import_module(f"{package}.{kind}"), cls)
    except (ImportError, AttributeError) as exc:
        raise TaishanError(f"message type {name} is not available to rclpy ({exc}); "
                           f"install the ROS 2 interface package {package}") from None


def ros_message(name: str) -> Callable[..., Any]:
    """A constructor of `name` that checks field types. rclpy (Jazzy) checks them only when
    ROS_PYTHON_CHECK_FIELDS=1; unchecked, a value of the wrong type (an int for a `byte` field) is
    stored and serialized as garbage, checked it raises. The tests build their messages with it; the
    nodes use the unchecked classes (ros_type), as checking costs about 40 % more per message."""
    return functools.partial(ros_type(name), check_fields=True)


def ros_type_name(msg: Any) -> str:
    """The ROS type name of an rclpy message: sensor_msgs.msg.Imu() -> 'sensor_msgs/msg/Imu'."""
    return f"{type(msg).__module__.split('.')[0]}/msg/{type(msg).__name__}"
