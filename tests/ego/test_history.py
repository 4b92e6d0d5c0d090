"""PoseHistory: the pose of the lever's end (base_link) from the filter's IMU positions."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from fusion.core.errors import StampOrderError
from fusion.ego.history import PoseHistory

LEVER = np.array([-1.2, 0.1, -0.4])


def _pose(yaw: float) -> tuple[np.ndarray, np.ndarray]:
    return np.array([10.0 * yaw, 2.0, 0.5]), Rotation.from_euler("z", yaw).as_matrix()


def test_poses_are_of_the_lever_end_interpolated_between_entries() -> None:
    history = PoseHistory(4, LEVER)
    for i in range(6):   # more than the capacity: compaction keeps the newest
        history.append(i * 10, *_pose(0.01 * i))
    assert len(history) == 4 and history.span_ns == (20, 50)
    p, R = _pose(0.03)
    held = history.pose_at(30)
    np.testing.assert_array_equal(held.translation, p + R @ LEVER)
    assert np.allclose(held.rotation, Rotation.from_matrix(R).as_quat())
    (p0, R0), (p1, R1) = _pose(0.04), _pose(0.05)
    between = history.pose_at(47)
    assert np.allclose(between.translation, 0.3 * (p0 + R0 @ LEVER) + 0.7 * (p1 + R1 @ LEVER))
    assert np.allclose(between.rotation, Rotation.from_euler("z", 0.047).as_quat())
    with pytest.raises(StampOrderError, match="outside the held poses"):
        history.pose_at(10)


def test_an_empty_history_says_so() -> None:
    history = PoseHistory(4, LEVER)
    with pytest.raises(StampOrderError, match="empty"):
        history.pose_at(0)
