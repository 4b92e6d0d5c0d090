"""Fixtures for the sensor front-end tests: rosbags message classes and the VoD example frames."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ros_types():
    """Message classes by ROS type name, from rosbags' ROS 2 Humble store (same fields as rclpy's)."""
    from rosbags.typesys import Stores, get_typestore

    return get_typestore(Stores.ROS2_HUMBLE).types.__getitem__


@pytest.fixture(scope="session")
def vod_root(shared_data):
    root = shared_data / "vod-example"
    if not (root / "lidar" / "training" / "velodyne").is_dir():
        pytest.skip(f"View-of-Delft example frames are absent at {root}")
    return root
