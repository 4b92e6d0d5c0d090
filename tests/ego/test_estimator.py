"""EgoEstimator end to end on short simulated drives: accuracy, initialisation, bad input, outputs."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from datasets.simulation import drives
from datasets.simulation.ego_trajectory import EgoTrajectory, Segment
from datasets.simulation.inertial_sensors import gnss_messages
from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig
from fusion.core import quaternion as quat
from fusion.core.errors import StampOrderError
from fusion.core.measurements import CovarianceType, GnssFix, GnssStatus, ImuSample
from fusion.ego.config import load_ego_config
from fusion.ego.estimator import EgoEstimator
from fusion.ego.evaluation import estimator_config_for, run_drive
from fusion.ego.wheel_speed import WheelSpeed


@pytest.fixture(scope="module", autouse=True)
def quiet_logs():
    logging.getLogger("fusion.ego").setLevel(logging.ERROR)
    yield
    logging.getLogger("fusion.ego").setLevel(logging.NOTSET)


@pytest.fixture(scope="module")
def vehicle() -> VehicleConfig:
    return load_config(config_dir() / "vehicle.yaml", VehicleConfig)


@pytest.fixture(scope="module")
def urban(vehicle) -> drives.SimulatedDrive:
    return drives.urban_short_drive(vehicle, outages=[(30.0, 40.0)])


@pytest.fixture(scope="module")
def urban_run(urban, vehicle):
    return run_drive(urban, vehicle, load_ego_config(), with_reference=False)


def _estimator(drive, vehicle, **updates) -> EgoEstimator:
    config = estimator_config_for(drive, load_ego_config())
    for section, values in updates.items():
        config = config.model_copy(update={section: getattr(config, section).model_copy(update=values)})
    return EgoEstimator(config, vehicle)


def _horizontal_error(est: EgoEstimator, drive) -> float:
    odom = est.odometry()
    return float(np.linalg.norm(odom.position[:2] - drive.trajectory.pose_at(odom.stamp_ns).translation[:2]))


def test_beats_gnss_and_holds_through_an_outage(urban_run) -> None:
    f = urban_run.figures
    assert f["pos_rmse_m"] < 0.5 * f["gnss_only_rmse_m"]
    assert f["heading_rmse_deg"] < 1.0
    assert f["outage_drift_m"] < 0.02 * f["outage_distance_m"]
    assert f["initialised_after_s"] < 5.0 and f["converged_after_s"] < 15.0
    d = f["diagnostics"]
    assert d["gnss_no_fix"] == 100 and d["zupt_updates"] > 20 and d["wheel_updates"] > 100
    assert d["gnss_rejected"] >= f["gnss_outliers_injected"] - 2
    assert np.isfinite(urban_run.eskf_error_m).all()


def test_matches_the_filterpy_ukf_reference(vehicle) -> None:
    trajectory = EgoTrajectory.scripted([Segment(5, 10, 0.0), Segment(8, 8, 0.18), Segment(6, 11, 0.0)], initial_speed_mps=9.0)
    drive = drives.simulate_drive("short", trajectory, vehicle, seed=11, outages=[(12.0, 16.0)])
    run = run_drive(drive, vehicle, load_ego_config(), with_reference=True)
    f = run.figures
    assert f["eskf_ukf_rms_difference_m"] < 0.1
    assert abs(f["pos_rmse_m"] - f["ukf_pos_rmse_m"]) < 0.1
    assert abs(f["heading_rmse_deg"] - f["ukf_heading_rmse_deg"]) < 0.3
    assert abs(f["outage_drift_m"] - f["ukf_outage_drift_m"]) < 0.2


def test_static_start_aligns_roll_pitch_and_gyro_bias(vehicle) -> None:
    trajectory = EgoTrajectory.scripted([Segment(4, 0, 0.0), Segment(6, 10, 0.0), Segment(10, 10, 0.1)], initial_yaw_rad=-2.0)
    drive = drives.simulate_drive("static_start", trajectory, vehicle, seed=5)
    est = _estimator(drive, vehicle)
    for m in drive.measurements:
        est.process(m)
        if not est.initialised:
            assert est.stamp_ns is None
    state = est.state()
    true_bias = drive.imu.gyro_bias[-1]  # IMU axes = base_link axes for the default mount
    assert np.abs(state.gyro_bias - true_bias).max() < 3e-4
    assert abs(np.degrees(quat.to_rpy(state.odometry.orientation)[1])) < 0.3
    assert state.heading_std_deg < 2.0
    assert _horizontal_error(est, drive) < 1.0
    yaw_error = quat.wrap_angle(quat.to_rpy(state.odometry.orientation)[2] - drive.trajectory.yaw[-1])
    assert abs(np.degrees(yaw_error)) < 1.5


def test_configured_heading_initialises_at_the_first_fix(vehicle, urban) -> None:
    est = _estimator(urban, vehicle, init={"heading_source": "configured", "heading_deg": float(np.degrees(1.0))})
    for m in urban.measurements[:300]:
        est.process(m)
    assert est.initialised
    assert any("initialised: heading 57.3" in text for _, text in est.diagnostics.events)


def test_gnss_velocity_gives_the_heading_and_is_fused(vehicle) -> None:
    with_velocity = vehicle.model_copy(update={"sensors": {**vehicle.sensors, "gnss": vehicle.sensors["gnss"].model_copy(update={"reports_velocity": True})}})
    trajectory = EgoTrajectory.scripted([Segment(15, 12, 0.05)], initial_speed_mps=10.0, initial_yaw_rad=0.5)
    drive = drives.simulate_drive("velocity", trajectory, with_velocity, seed=8, wheels=False)
    est = _estimator(drive, with_velocity)
    for m in drive.measurements:
        est.process(m)
    assert est.diagnostics.events[0][0] <= 1_100_000_000  # heading from the first moving fix's velocity
    assert _horizontal_error(est, drive) < 1.0
    assert est.state().converged


def test_bad_input_is_counted_never_raised(vehicle, urban) -> None:
    est = _estimator(urban, vehicle)
    stream = list(urban.measurements)
    imu = [i for i, m in enumerate(stream) if isinstance(m, ImuSample)]
    duplicate = stream[imu[500]]
    stale = stream[imu[400]]
    stream.insert(imu[500] + 1, duplicate)
    stream.insert(imu[600], stale)
    del stream[imu[900]:imu[950]]  # a 0.5 s IMU gap (GNSS and wheels go on)
    stream.insert(10, ImuSample(stream[10].stamp_ns, "mystery_imu", "imu2"))
    stream.insert(20, WheelSpeed(stream[20].stamp_ns, "rear_axle", "wheels", speed_mps=3.0))
    stream.insert(30, "not a measurement")
    stream.insert(1000, GnssFix(stream[1000].stamp_ns, "gnss_link", "gnss", latitude_deg=float("nan"),
                                longitude_deg=float("nan"), altitude_m=float("nan"), status=GnssStatus.NO_FIX))
    for m in stream:
        est.process(m)
    d = est.diagnostics
    assert d.imu_duplicates == 1 and d.imu_out_of_order == 1
    assert d.imu_gaps >= 1 and d.imu_coasted_s > 0.2
    assert d.unknown_sources == 3
    assert d.gnss_no_fix == 101
    assert est.filter.is_finite()
    assert _horizontal_error(est, urban) < 1.5


def test_position_jump_reinitialises(vehicle, urban) -> None:
    jumped = urban.gnss
    jumped.measured_enu = jumped.measured_enu.copy()
    t = (jumped.stamps_ns - jumped.stamps_ns[0]) / 1e9
    jumped.measured_enu[t >= 20.0, 0] += 60.0  # e.g. a wrong map datum after a receiver reset
    fixes = gnss_messages(jumped, vehicle.sensors["gnss"], urban.origin)
    others = [m for m in urban.measurements if not isinstance(m, GnssFix)]
    stream = sorted(others + fixes, key=lambda m: m.stamp_ns)
    est = _estimator(urban, vehicle)
    for m in stream:
        est.process(m)
    assert est.diagnostics.reinitialisations >= 1
    odom = est.odometry()
    truth = urban.trajectory.pose_at(odom.stamp_ns).translation
    assert abs(odom.position[0] - (truth[0] + 60.0)) < 2.0  # follows the GNSS frame again
    urban.gnss.measured_enu[t >= 20.0, 0] -= 60.0


def test_outputs_odometry_history_and_tree(vehicle, urban) -> None:
    est = _estimator(urban, vehicle)
    with pytest.raises(StampOrderError, match="not initialised"):
        est.odometry()
    for m in urban.measurements:
        if m.stamp_ns > 14_000_000_000:  # in the left turn
            break
        est.process(m)
    odom = est.odometry()
    assert (odom.frame_id, odom.child_frame_id) == ("map", "base_link")
    assert odom.pose_covariance.shape == (6, 6) and odom.twist_covariance.shape == (6, 6)
    for cov in (odom.pose_covariance, odom.twist_covariance):
        assert np.allclose(cov, cov.T) and np.linalg.eigvalsh(cov).min() > -1e-12
    speed = np.linalg.norm(urban.trajectory.velocity_at(odom.stamp_ns))
    assert odom.linear_velocity[0] == pytest.approx(speed, abs=0.3)
    assert np.abs(odom.linear_velocity[1:]).max() < 0.2
    past = odom.stamp_ns - 2_345_000_000
    pose = est.pose_at(past)
    assert np.linalg.norm(pose.translation[:2] - urban.trajectory.pose_at(past).translation[:2]) < 1.0
    ahead = est.pose_at(odom.stamp_ns + 100_000_000)
    assert np.linalg.norm(ahead.translation - odom.position) == pytest.approx(0.1 * speed, rel=0.1)
    with pytest.raises(StampOrderError, match="past the newest"):
        est.pose_at(odom.stamp_ns + 1_000_000_000)
    with pytest.raises(StampOrderError, match="outside the held poses"):
        est.pose_at(odom.stamp_ns - 20_000_000_000)
    tree = vehicle.transform_tree()
    est.add_to(tree, past)
    est.add_to(tree)
    lidar_in_map = tree.lookup("map", "lidar_top", past)
    assert np.allclose(lidar_in_map.translation, pose.apply(vehicle.sensors["lidar_top"].mount.translation))


def test_fix_covariance_by_type(vehicle, urban) -> None:
    est = _estimator(urban, vehicle)
    def fix(cov, kind):
        return GnssFix(0, "gnss_link", "gnss", latitude_deg=49.0, longitude_deg=8.4, position_covariance=cov, covariance_type=kind)
    full = np.array([[4.0, 1.0, 0.0], [1.0, 4.0, 0.0], [0.0, 0.0, 9.0]])
    assert np.allclose(est.fix_covariance(fix(full, CovarianceType.UNKNOWN)), np.eye(3) * 25.0)
    assert np.allclose(est.fix_covariance(fix(full, CovarianceType.DIAGONAL_KNOWN)), np.diag([4.0, 4.0, 9.0]))
    assert np.allclose(est.fix_covariance(fix(full, CovarianceType.KNOWN)), full + np.eye(3) * 0.05**2)
    broken = np.array([[1.0, 5.0, 0.0], [5.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # not positive definite
    assert np.allclose(est.fix_covariance(fix(broken, CovarianceType.KNOWN)), np.eye(3))
    assert np.allclose(est.fix_covariance(fix(np.zeros((3, 3)), CovarianceType.APPROXIMATED)), np.eye(3) * 0.05**2)


def test_without_wheels_imu_standstill_detector_and_recovery_after_a_long_outage(vehicle) -> None:
    trajectory = EgoTrajectory.scripted([Segment(8, 12, 0.0), Segment(10, 12, 0.08), Segment(5, 0, 0.0),
                                         Segment(6, 0, 0.0), Segment(8, 10, 0.0), Segment(45, 10, -0.03)], initial_speed_mps=10.0)
    drive = drives.simulate_drive("no_wheels", trajectory, vehicle, seed=21, outages=[(20.0, 60.0)], wheels=False)
    est = _estimator(drive, vehicle, zupt={"use_imu_detector": True})
    for m in drive.measurements:
        est.process(m)
    assert est.diagnostics.zupt_updates > 10          # the quiet IMU at the stop
    assert est.diagnostics.nhc_updates > 100          # NHC on its own clock without wheel speed
    assert _horizontal_error(est, drive) < 1.5        # back on track 30 s after a 40 s outage
    assert est.filter.is_finite()


def test_long_imu_silence_starts_over(vehicle, urban) -> None:
    stream = [m for m in urban.measurements if not (isinstance(m, ImuSample) and 12e9 <= m.stamp_ns < 19e9)]
    est = _estimator(urban, vehicle)
    for m in stream:
        est.process(m)
    d = est.diagnostics
    assert d.reinitialisations == 1 and any("aligning afresh" in text for _, text in d.events)
    assert sum("initialised: heading" in text for _, text in d.events) == 2
    assert _horizontal_error(est, urban) < 1.5


def test_without_wheels_a_steady_acceleration_is_not_taken_for_tilt(vehicle) -> None:
    # Stands for 2 s, then speeds up steadily (quiet, like standing) until the GNSS track gives the heading.
    trajectory = EgoTrajectory.scripted([Segment(2, 0, 0.0), Segment(10, 14, 0.0)], initial_speed_mps=0.0)
    drive = drives.simulate_drive("steady_acceleration", trajectory, vehicle, seed=5, wheels=False)
    est = _estimator(drive, vehicle)
    for m in drive.measurements:
        est.process(m)
        if est.initialised:
            break
    odom = est.odometry()
    true_pose = drive.trajectory.pose_at(odom.stamp_ns)
    pitch_error = quat.to_rpy(odom.orientation)[1] - quat.to_rpy(true_pose.rotation)[1]
    assert abs(np.degrees(pitch_error)) < 1.0           # 1.4 m/s^2 read as tilt would be 8 deg
    true_speed = np.linalg.norm(drive.trajectory.velocity_at(odom.stamp_ns))
    assert abs(odom.linear_velocity[0] - true_speed) < 1.0   # the speed now, not the GNSS chord's mean


def test_reading_the_estimate_never_changes_it(vehicle, urban) -> None:
    """Odometry, state and convergence checks read the covariance without closing its pending block, so
    how often a graph publishes or asks for diagnostics cannot change the filter (the live graph reads
    diagnostics on a wall-clock timer)."""
    quiet, busy = _estimator(urban, vehicle), _estimator(urban, vehicle)
    for m in urban.measurements:
        if m.stamp_ns > 12_000_000_000:
            break
        quiet.process(m)
        busy.process(m)
        if busy.initialised:
            busy.odometry()
            busy.state()
    a, b = quiet.odometry(), busy.odometry()
    assert quiet.initialised and a.stamp_ns == b.stamp_ns
    for name in ("position", "orientation", "pose_covariance", "linear_velocity", "twist_covariance"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
