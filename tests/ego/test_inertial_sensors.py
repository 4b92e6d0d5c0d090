"""IMU / GNSS / wheel-speed synthesis: physics (integrates back to the truth) and noise statistics."""
from __future__ import annotations

import numpy as np
import pytest

from datasets.simulation.ego_trajectory import EgoTrajectory
from datasets.simulation.inertial_sensors import (
    gnss_readings, imu_readings, simulate_gnss, simulate_imu, simulate_wheel_speed,
)
from fusion.config.vehicle import GnssConfig, ImuConfig, Mount
from fusion.core import quaternion as quat
from fusion.core.errors import InputError
from fusion.core.measurements import GnssStatus
from fusion.core.transform import Transform
from fusion.ego.geodesy import GRAVITY_MPS2, GeodeticOrigin

ORIGIN = GeodeticOrigin(49.0, 8.4, 110.0)
QUIET = dict(gyro_noise_density=0.0, accel_noise_density=0.0, gyro_bias_instability=0.0,
             accel_bias_instability=0.0, gyro_bias_turn_on=0.0, accel_bias_turn_on=0.0)


def imu_config(**overrides) -> ImuConfig:
    values = dict(kind="imu", frame_id="imu_link", rate_hz=100.0,
                  mount=Mount(translation=[1.4, 0.3, 0.5], rotation_rpy_deg=[0.0, 0.0, 90.0]))
    values.update(overrides)
    return ImuConfig(**values)


def gnss_config(**overrides) -> GnssConfig:
    values = dict(kind="gnss", frame_id="gnss_link", rate_hz=10.0, mount=Mount(translation=[0.5, 0.0, 1.6]))
    values.update(overrides)
    return GnssConfig(**values)


@pytest.fixture(scope="module")
def drive() -> EgoTrajectory:
    return EgoTrajectory.scripted([(6, 12, 0.0), (8, 8, 0.2), (5, 0, 0.0), (3, 0, 0.0), (6, 10, -0.1)], initial_speed_mps=8.0)


@pytest.mark.parametrize("earth", [None, ORIGIN])
def test_noiseless_imu_integrates_back_to_the_truth(drive: EgoTrajectory, earth) -> None:
    """Strapdown integration of the IMU point, mapped back to base_link, follows the trajectory."""
    config = imu_config(**QUIET)
    mount = config.mount.transform()
    r = imu_readings(drive, config, None, np.random.default_rng(0), earth)
    gyro = quat.rotate(mount.rotation, r.gyro)  # base_link axes
    accel = quat.rotate(mount.rotation, r.accel)
    earth_rate = np.zeros(3) if earth is None else earth.earth_rate_enu()
    q = drive.orientation[0]
    lever = mount.translation
    p = drive.position[0] + quat.rotate(q, lever)
    v = drive.velocity[0] + quat.rotate(q, np.cross(drive.angular_velocity[0], lever))
    dt = 0.01
    gravity = np.array([0.0, 0.0, -GRAVITY_MPS2])
    for k in range(len(gyro) - 1):
        w0 = gyro[k] - quat.rotate(quat.conjugate(q), earth_rate)
        q_next = quat.multiply(q, quat.from_rotvec(0.5 * (w0 + gyro[k + 1] - quat.rotate(quat.conjugate(q), earth_rate)) * dt))
        a0 = quat.rotate(q, accel[k]) + gravity - 2.0 * np.cross(earth_rate, v)
        a1 = quat.rotate(q_next, accel[k + 1]) + gravity - 2.0 * np.cross(earth_rate, v + a0 * dt)
        p = p + v * dt + (a0 / 3.0 + a1 / 6.0) * dt**2
        v = v + 0.5 * (a0 + a1) * dt
        q = q_next
    base = p - quat.rotate(q, lever)
    assert np.linalg.norm(base - drive.position[-1]) < 0.05 + 1e-4 * drive.distance_m
    assert np.degrees(np.linalg.norm(quat.to_rotvec(quat.multiply(quat.conjugate(drive.orientation[-1]), q)))) < 0.01


def test_resting_imu_measures_gravity_and_configured_noise() -> None:
    still = EgoTrajectory.from_waypoints(np.arange(0.0, 121.0, 10.0), np.zeros((13, 3)), static_yaw_rad=0.3)
    config = imu_config(mount=Mount(translation=[0.0, 0.0, 0.0]), gyro_bias_instability=0.0, accel_bias_instability=0.0)
    r = imu_readings(still, config, None, np.random.default_rng(1))
    assert np.allclose(np.mean(r.accel - r.accel_bias, axis=0), [0.0, 0.0, GRAVITY_MPS2], atol=1e-3)
    assert np.std(r.gyro - r.gyro_bias, axis=0) == pytest.approx([config.gyro_noise_density * 10.0] * 3, rel=0.05)
    assert np.std(r.accel - r.accel_bias, axis=0) == pytest.approx([config.accel_noise_density * 10.0] * 3, rel=0.05)
    assert np.ptp(r.gyro_bias, axis=0).max() == 0.0  # turn-on bias only: constant


def test_bias_instability_is_a_stationary_gauss_markov_process() -> None:
    still = EgoTrajectory.from_waypoints(np.arange(0.0, 4001.0, 100.0), np.zeros((41, 3)))
    config = imu_config(rate_hz=10.0, gyro_bias_turn_on=0.0, gyro_bias_correlation_s=20.0)
    r = imu_readings(still, config, None, np.random.default_rng(2))
    assert np.std(r.gyro_bias) == pytest.approx(config.gyro_bias_instability, rel=0.1)
    lag = 200  # 20 s = one correlation time at 10 Hz
    corr = np.mean([np.corrcoef(r.gyro_bias[:-lag, i], r.gyro_bias[lag:, i])[0, 1] for i in range(3)])
    assert corr == pytest.approx(np.exp(-1.0), abs=0.12)


def test_imu_messages_are_deterministic_and_well_formed(drive: EgoTrajectory) -> None:
    a = simulate_imu(drive, imu_config(), None, np.random.default_rng(7))
    b = simulate_imu(drive, imu_config(), None, np.random.default_rng(7))
    assert len(a) == len(drive.stamps_ns)
    assert a[100].frame_id == "imu_link" and a[100].stamp_ns == drive.stamps_ns[100]
    assert all(np.array_equal(x.angular_velocity, y.angular_velocity) for x, y in zip(a, b))
    with pytest.raises(InputError, match="does not divide"):
        simulate_imu(drive, imu_config(rate_hz=30.0), None, np.random.default_rng(7))


def test_gnss_noise_outliers_outage_and_geodesy(drive: EgoTrajectory) -> None:
    config = gnss_config(outlier_probability=0.05, reports_velocity=True)
    r = gnss_readings(drive, config, np.random.default_rng(3), outages=[(10.0, 15.0)])
    t = (r.stamps_ns - r.stamps_ns[0]) / 1e9
    assert np.all(r.has_fix == ~((t >= 10.0) & (t < 15.0)))
    # Antenna = base_link + R * lever arm.
    k = 42
    expected = drive.pose_at(int(r.stamps_ns[k])).apply(config.mount.translation)
    assert np.allclose(r.true_enu[k], expected)
    fixes = simulate_gnss(drive, config, ORIGIN, np.random.default_rng(3), outages=[(10.0, 15.0)])
    assert [f.status == GnssStatus.NO_FIX for f in fixes] == list(~r.has_fix)
    good = next(i for i, f in enumerate(fixes) if f.has_fix and i > 5)
    back = ORIGIN.to_enu(fixes[good].latitude_deg, fixes[good].longitude_deg, fixes[good].altitude_m)
    assert np.allclose(back, r.measured_enu[good], atol=1e-6)
    as_arrays = (np.array([getattr(fixes[good], k)]) for k in ("latitude_deg", "longitude_deg", "altitude_m"))
    np.testing.assert_array_equal(ORIGIN.to_enu(*as_arrays), back[None])   # scalars and arrays alike
    assert fixes[good].velocity_enu is not None


def test_gnss_noise_statistics() -> None:
    line = EgoTrajectory.scripted([(400, 10, 0.0)], initial_speed_mps=10.0, rate_hz=10.0)
    config = gnss_config(outlier_probability=0.02, outlier_magnitude_m=30.0)
    r = gnss_readings(line, config, np.random.default_rng(4))
    err = r.measured_enu - r.true_enu
    clean = ~r.outlier
    assert np.std(err[clean, :2]) == pytest.approx(1.5, rel=0.05)
    assert np.std(err[clean, 2]) == pytest.approx(3.0, rel=0.05)
    assert np.mean(r.outlier) == pytest.approx(0.02, abs=0.008)
    assert np.all(np.linalg.norm(err[r.outlier, :2], axis=1) > 20.0)


def test_wheel_speed(drive: EgoTrajectory) -> None:
    speeds = simulate_wheel_speed(drive, np.random.default_rng(5), rate_hz=50.0, noise_std_mps=0.0, scale_error=0.01)
    truth = drive.speed[::2]
    measured = np.array([s.speed_mps for s in speeds])
    moving = truth > 0.05
    assert np.allclose(measured[moving], 1.01 * truth[moving])
    assert np.all(measured[~moving] == 0.0) and (~moving).sum() > 50


def test_lever_arm_changes_specific_force_in_turns(drive: EgoTrajectory) -> None:
    config = imu_config(**QUIET, mount=Mount(translation=[0.0, 0.0, 0.0]))
    centre = imu_readings(drive, config, None, np.random.default_rng(0)).accel
    offset = imu_readings(drive, config, Transform.from_rpy([2.0, 0.0, 0.0], [0, 0, 0]), np.random.default_rng(0)).accel
    w = drive.angular_velocity[:, 2]
    # A point 2 m ahead of the turning centre feels an extra centripetal -w^2 * 2 m along x.
    extra = offset[:, 0] - centre[:, 0]
    assert np.allclose(extra, -2.0 * w**2, atol=0.02)
