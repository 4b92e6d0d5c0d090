"""EgoTrajectory: its derivatives are consistent with each other and cars only move forward."""
from __future__ import annotations

import numpy as np
import pytest

from datasets.simulation.ego_trajectory import EgoTrajectory, Segment, read_timed_positions
from fusion.core import quaternion as quat
from fusion.core.errors import InputError

URBAN = [Segment(8, 10, 0.0), Segment(9, 8, 0.17), Segment(6, 0, 0.0), Segment(4, 0, 0.0), Segment(8, 12, -0.05)]


@pytest.fixture(scope="module")
def urban() -> EgoTrajectory:
    return EgoTrajectory.scripted(URBAN, initial_speed_mps=10.0, start_ns=5_000_000_000)


@pytest.fixture(scope="module")
def hilly() -> EgoTrajectory:
    t = np.arange(0.0, 40.0, 1.0)
    xyz = np.column_stack([12.0 * t, 30.0 * np.sin(t / 8.0), 4.0 * np.sin(t / 10.0)])
    return EgoTrajectory.from_waypoints(t, xyz)


def test_sampling_and_shapes(urban: EgoTrajectory) -> None:
    n = len(urban.stamps_ns)
    assert urban.stamps_ns.dtype == np.int64 and urban.stamps_ns[0] == 5_000_000_000
    assert np.all(np.diff(urban.stamps_ns) == 10_000_000)
    assert urban.rate_hz == pytest.approx(100.0)
    assert urban.duration_s == pytest.approx(35.0)
    for name in ("position", "velocity", "acceleration", "angular_velocity", "angular_acceleration"):
        assert getattr(urban, name).shape == (n, 3)
    assert np.allclose(np.linalg.norm(urban.orientation, axis=1), 1.0)


@pytest.mark.parametrize("name", ["urban", "hilly"])
def test_finite_differences_match_derivatives(name: str, request: pytest.FixtureRequest) -> None:
    traj: EgoTrajectory = request.getfixturevalue(name)
    dt = 1.0 / traj.rate_hz
    fd_velocity = np.diff(traj.position, axis=0) / dt
    assert np.abs(fd_velocity - 0.5 * (traj.velocity[1:] + traj.velocity[:-1])).max() < 2e-3
    fd_accel = np.diff(traj.velocity, axis=0) / dt
    assert np.percentile(np.abs(fd_accel - 0.5 * (traj.acceleration[1:] + traj.acceleration[:-1])), 99) < 5e-3


@pytest.mark.parametrize("name", ["urban", "hilly"])
def test_gyro_integration_reproduces_orientation(name: str, request: pytest.FixtureRequest) -> None:
    traj: EgoTrajectory = request.getfixturevalue(name)
    dt = 1.0 / traj.rate_hz
    steps = quat.from_rotvec(0.5 * (traj.angular_velocity[1:] + traj.angular_velocity[:-1]) * dt)
    q = traj.orientation[0]
    for step in steps:
        q = quat.multiply(q, step)
    error = quat.to_rotvec(quat.multiply(quat.conjugate(traj.orientation[-1]), q))
    assert np.degrees(np.linalg.norm(error)) < 0.02


@pytest.mark.parametrize("name", ["urban", "hilly"])
def test_velocity_points_forward(name: str, request: pytest.FixtureRequest) -> None:
    traj: EgoTrajectory = request.getfixturevalue(name)
    body = quat.rotate(quat.conjugate(traj.orientation), traj.velocity)
    assert np.abs(body[:, 1:]).max() < 1e-9
    assert body[:, 0].min() >= -1e-9
    assert np.allclose(body[:, 0], traj.speed)


def test_scripted_drive_turns_and_stops(urban: EgoTrajectory) -> None:
    yaw_change = np.unwrap(urban.yaw)[-1] - urban.yaw[0]
    assert np.degrees(yaw_change) == pytest.approx(np.degrees(9 * 0.17 - 8 * 0.05), abs=0.5)
    stopped = (urban.times_s > 24.0) & (urban.times_s < 26.0)  # stop 23.5 .. 26.5 s after easing
    assert urban.speed[stopped].max() < 1e-5
    assert np.ptp(urban.yaw[stopped]) < 1e-6  # heading holds while standing
    assert urban.speed.max() < 12.5 and urban.speed[0] == pytest.approx(10.0, abs=0.05)


def test_climb_gives_pitch(hilly: EgoTrajectory) -> None:
    pitch = quat.to_rpy(hilly.orientation)[:, 1]
    horizontal = np.hypot(hilly.velocity[:, 0], hilly.velocity[:, 1])
    expected = -np.arctan2(hilly.velocity[:, 2], horizontal)  # REP 103: climbing is negative pitch
    assert np.allclose(pitch, expected, atol=1e-9)
    assert pitch.min() < -0.02


def test_interpolated_queries(urban: EgoTrajectory) -> None:
    i = 1234
    mid = int(urban.stamps_ns[i] + 5_000_000)
    pose = urban.pose_at(mid)
    assert np.allclose(pose.translation, 0.5 * (urban.position[i] + urban.position[i + 1]), atol=1e-9)
    assert np.allclose(urban.pose_at(int(urban.stamps_ns[i])).rotation, quat.normalize(urban.orientation[i]))
    assert np.allclose(urban.velocity_at(mid), 0.5 * (urban.velocity[i] + urban.velocity[i + 1]))
    assert urban.index_at(mid + 1) == i + 1
    with pytest.raises(InputError, match="outside the trajectory"):
        urban.pose_at(int(urban.stamps_ns[-1]) + 1)


def test_standing_trajectory_holds_configured_yaw() -> None:
    traj = EgoTrajectory.from_waypoints(np.arange(5.0), np.tile([3.0, 4.0, 0.0], (5, 1)), static_yaw_rad=0.7)
    assert np.allclose(traj.position, [3.0, 4.0, 0.0]) and np.all(traj.velocity == 0.0)
    assert np.allclose(traj.yaw, 0.7)


def test_bad_waypoints_are_rejected() -> None:
    with pytest.raises(InputError, match="increase strictly"):
        EgoTrajectory.from_waypoints(np.array([0.0, 1.0, 1.0, 2.0]), np.zeros((4, 3)))
    with pytest.raises(InputError, match="non-finite"):
        EgoTrajectory.from_waypoints(np.arange(4.0), np.array([[0, 0, 0], [1, 0, 0], [np.nan, 0, 0], [3, 0, 0]]))
    with pytest.raises(InputError, match="at least 4"):
        EgoTrajectory.from_waypoints(np.arange(3.0), np.zeros((3, 3)))
    with pytest.raises(InputError, match="segment 1"):
        EgoTrajectory.scripted([(5, 10, 0), (-1, 5, 0)])


def test_malformed_trajectory_file_names_the_line(tmp_path) -> None:
    path = tmp_path / "traj.txt"
    path.write_text("# t, x, y, z\n0,0,0,0\n1,1,0\n")
    with pytest.raises(InputError, match=r"traj.txt:3"):
        read_timed_positions(path)


def test_kitti_gps_drive(shared_data) -> None:
    traj = EgoTrajectory.from_kitti_gps(shared_data / "trajectories" / "kitti_gps_1hz.txt", rate_hz=20.0)
    times, points = read_timed_positions(shared_data / "trajectories" / "kitti_gps_1hz.txt")
    assert traj.duration_s == pytest.approx(times[-1] - times[0], abs=0.05)
    assert 3000.0 < traj.distance_m < 4500.0
    # Smoothing keeps the drive within about a metre of the measured positions ...
    near = np.clip(np.round((times - times[0]) * 20.0).astype(int), 0, len(traj.stamps_ns) - 1)
    assert np.sqrt(np.mean(np.sum((traj.position[near, :2] - points[:, :2]) ** 2, axis=1))) < 1.0
    # ... and the motion stays physically plausible for a car.
    assert np.linalg.norm(traj.acceleration[:, :2], axis=1).max() < 5.0
    assert np.degrees(np.abs(traj.angular_velocity[:, 2])).max() < 60.0
