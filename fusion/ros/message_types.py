"""rclpy's generated message classes by ROS type name, the `types` callable of fusion.messages."""
from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

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
