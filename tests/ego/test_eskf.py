"""ErrorStateFilter maths: rotations against scipy, Jacobians against numerical differentiation."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from fusion.ego.eskf import (BA, BG, N, P, TH, V, ErrorStateFilter, ProcessNoise, cross, matrix_to_quaternion, skew,
                             so3_exp)

NOISE = ProcessNoise(1.7e-4, 1.2e-3, 2e-6, 3e-5)


@pytest.mark.parametrize("phi", [[0.0, 0.0, 0.0], [1e-7, -2e-7, 3e-8], [0.3, -0.2, 0.1], [2.0, 1.0, -2.5]])
def test_so3_exp_matches_scipy(phi) -> None:
    assert np.allclose(so3_exp(np.array(phi)), Rotation.from_rotvec(phi).as_matrix(), atol=1e-12)


def test_matrix_to_quaternion_matches_scipy() -> None:
    rotations = Rotation.random(200, random_state=3)
    special = Rotation.from_rotvec([[np.pi, 0, 0], [0, np.pi, 0], [0, 0, np.pi], [0, 0, 0], [0.0, 2.0, 1.0]])
    for r in list(rotations) + list(special):
        expected = r.as_quat(canonical=True)
        got = matrix_to_quaternion(r.as_matrix())
        assert np.allclose(got, expected, atol=1e-12) or np.allclose(got, -expected, atol=1e-12) and abs(expected[3]) < 1e-12


def test_skew_and_cross() -> None:
    a, b = np.array([0.3, -1.2, 2.0]), np.array([-0.7, 0.4, 1.1])
    assert np.allclose(cross(a, b), np.cross(a, b))
    assert np.allclose(skew(a) @ b, np.cross(a, b))


def _filter(earth: bool = True) -> ErrorStateFilter:
    f = ErrorStateFilter(NOISE, np.array([0.0, 4.8e-5, 5.5e-5]) if earth else None)
    f.p = np.array([10.0, -4.0, 1.0])
    f.v = np.array([8.0, 3.0, 0.2])
    f.R = Rotation.from_euler("xyz", [0.05, -0.03, 1.2]).as_matrix()
    f.ba = np.array([0.01, -0.02, 0.03])
    f.bg = np.array([1e-3, -2e-3, 5e-4])
    return f


def _perturbed(f: ErrorStateFilter, dx: np.ndarray) -> ErrorStateFilter:
    g = _filter(f.earth_rate is not None)
    g.inject(dx)
    return g


@pytest.mark.parametrize("model", ["point_position", "point_velocity", "body_velocity", "gyro_bias_model"])
def test_measurement_jacobians_match_numerical_differentiation(model: str) -> None:
    f = _filter(earth=model == "gyro_bias_model")  # the velocity models neglect the Earth rate's attitude term
    lever, gyro = np.array([-0.9, 0.1, 1.3]), np.array([0.02, -0.01, 0.3])
    args = {"point_position": (lever,), "point_velocity": (lever, gyro), "body_velocity": (lever, gyro), "gyro_bias_model": ()}[model]
    h0, H = getattr(f, model)(*args)
    numeric = np.zeros_like(H)
    eps = 1e-6
    for i in range(N):
        dx = np.zeros(N)
        dx[i] = eps
        numeric[:, i] = (getattr(_perturbed(f, dx), model)(*args)[0] - h0) / eps
    assert np.allclose(H, numeric, atol=1e-5)


def test_error_transition_matches_nominal_propagation() -> None:
    """With P0 = dx dx^T and no process noise, the propagated covariance is (F dx)(F dx)^T; F dx
    must match the difference of the two propagated nominal states (perturbed and not)."""
    gyro, accel, dt, steps = np.array([0.01, -0.02, 0.2]), np.array([0.5, 0.3, 9.7]), 0.01, 5

    def propagated(dx: np.ndarray) -> ErrorStateFilter:
        f = _filter(earth=False)
        f._qc = np.zeros(N)
        f.inject(dx)
        f.P = np.outer(dx, dx)
        for _ in range(steps):
            f.predict(dt, gyro, accel)
        f.propagate_covariance()
        return f

    base = propagated(np.zeros(N))
    for i in range(N):
        dx = np.zeros(N)
        dx[i] = 1e-4
        moved = propagated(dx)
        err = np.concatenate([moved.p - base.p, moved.v - base.v, Rotation.from_matrix(base.R.T @ moved.R).as_rotvec(),
                              moved.ba - base.ba, moved.bg - base.bg])
        assert np.allclose(np.outer(err, err), moved.P, atol=1e-12 + 0.01 * np.abs(moved.P).max()), i


def test_readings_at_both_ends_are_mechanised_as_their_mean() -> None:
    start, end = _filter(), _filter()
    gyro0, gyro1 = np.array([0.01, -0.02, 0.2]), np.array([0.03, 0.01, 0.25])
    accel0, accel1 = np.array([0.5, 0.3, 9.7]), np.array([0.1, -0.2, 9.9])
    start.predict(0.01, gyro0, accel0, gyro1, accel1)
    end.predict(0.01, 0.5 * (gyro0 + gyro1), 0.5 * (accel0 + accel1))
    for name in ("p", "v", "R", "_block_f"):
        np.testing.assert_array_equal(getattr(start, name), getattr(end, name))


def test_block_transition_matches_its_numpy_formula() -> None:
    """The compiled kernels that fill F and add the noise give exactly what the slice-by-slice numpy
    formula gives (outputs are compared bit for bit across versions)."""
    f = _filter()
    f.P = np.cov(np.random.default_rng(4).normal(size=(N, 40)))
    f.predict(0.01, np.array([0.01, -0.02, 0.2]), np.array([0.5, 0.3, 9.7]))
    f.predict(0.01, np.array([0.0, 0.01, -0.1]), np.array([-0.4, 0.1, 9.8]))
    dt, R0 = f._block_dt, f._block_R
    rf = R0 @ skew(f._block_f / dt)
    F = np.eye(N)
    F[0:3, 3:6] = np.eye(3) * dt
    F[P, TH], F[P, BA] = rf * (-0.5 * dt * dt), R0 * (-0.5 * dt * dt)
    F[V, TH], F[V, BA] = rf * -dt, R0 * -dt
    F[TH, TH] = f.R.T @ R0
    F[TH, BG] = np.eye(3) * -dt
    cov = F @ f.P @ F.T
    cov[np.diag_indices(N)] += f._qc * dt
    np.testing.assert_array_equal(f.covariance(), 0.5 * (cov + cov.T))


def test_gate_rejects_and_leaves_the_state() -> None:
    f = _filter()
    f.P = np.eye(N) * 0.01
    before = f.p.copy()
    h, H = f.point_position(np.zeros(3))
    accepted, d2 = f.correct(np.array([50.0, 0.0, 0.0]), H, np.eye(3), gate=16.3)
    assert not accepted and d2 > 16.3 and np.array_equal(f.p, before)
    accepted, _ = f.correct(np.array([0.5, 0.0, 0.0]), H, np.eye(3), gate=16.3)
    assert accepted and f.p[0] > before[0]


def test_numerically_impossible_update_changes_nothing() -> None:
    f = _filter()
    f.P = np.zeros((N, N))
    H = np.zeros((3, N))
    H[:, V] = np.eye(3)
    accepted, d2 = f.correct(np.ones(3), H, np.zeros((3, 3)))
    assert not accepted and np.isnan(d2)
    assert f.is_finite()


def test_update_matches_its_numpy_formula() -> None:
    """The compiled update gives exactly what the numpy formula (with np.linalg.inv) gives."""
    f = _filter()
    f.P = np.cov(np.random.default_rng(5).normal(size=(N, 40)))
    P0, p0, R0 = f.P.copy(), f.p.copy(), f.R.copy()
    z, H = f.body_velocity(np.array([-1.2, 0.0, 0.3]), np.array([0.01, 0.0, 0.2]))
    residual, noise = np.array([0.3, -0.1, 0.05]) - z, np.diag([0.04, 0.01, 0.01])
    accepted, d2 = f.correct(residual, H, noise, gate=1e6)
    PHt = P0 @ H.T
    S_inv = np.linalg.inv(H @ PHt + noise)
    K = PHt @ S_inv
    cov = P0 - K @ PHt.T
    assert accepted and d2 == residual @ S_inv @ residual
    np.testing.assert_array_equal(f.P, 0.5 * (cov + cov.T))
    dx = K @ residual
    np.testing.assert_array_equal(f.p, p0 + dx[P])
    np.testing.assert_array_equal(f.R, R0 @ so3_exp(dx[TH]))


def test_non_finite_residual_changes_nothing() -> None:
    f = _filter()
    before = f.P.copy(), f.p.copy()
    _, H = f.point_position(np.zeros(3))
    for gate in (None, 16.3):
        accepted, d2 = f.correct(np.array([np.nan, 0.0, 0.0]), H, np.eye(3), gate)
        assert not accepted and np.isnan(d2)
    np.testing.assert_array_equal(f.P, before[0])
    np.testing.assert_array_equal(f.p, before[1])


def test_point_odometry_matches_its_numpy_formula() -> None:
    """Pose and twist of a point and their covariances: the compiled kernel against the Jacobians
    built slice by slice in numpy (bit for bit)."""
    f = _filter()
    f.P = cov = np.cov(np.random.default_rng(6).normal(size=(N, 40)))
    lever, gyro, rate_noise = np.array([-1.2, 0.1, 0.3]), np.array([0.01, -0.02, 0.2]), np.eye(3) * 1e-6
    J, Jt = np.zeros((6, N)), np.zeros((6, N))
    J[0:3, P] = np.eye(3)
    Jt[0:3, BG], Jt[3:6, BG] = skew(lever), -np.eye(3)
    position, q, pose_cov, velocity, omega, twist_cov = f.point_odometry(gyro, lever, skew(lever), J.copy(), Jt.copy(),
                                                                         rate_noise)
    J[0:3, TH], J[3:6, TH] = -f.R @ skew(lever), f.R
    Jt[0:3, V], Jt[0:3, TH] = f.R.T, skew(f.R.T @ f.v)
    expected_twist = Jt @ cov @ Jt.T
    expected_twist[3:6, 3:6] += rate_noise
    np.testing.assert_array_equal(omega, _numpy_angular_rate(f, gyro))
    np.testing.assert_array_equal(position, f.p + f.R @ lever)
    np.testing.assert_array_equal(q, matrix_to_quaternion(f.R))
    np.testing.assert_array_equal(pose_cov, J @ cov @ J.T)
    np.testing.assert_array_equal(velocity, f.R.T @ f.v + cross(omega, lever))
    np.testing.assert_array_equal(twist_cov, expected_twist)


def _numpy_angular_rate(f: ErrorStateFilter, gyro: np.ndarray) -> np.ndarray:
    w = gyro - f.bg
    return w if f.earth_rate is None else w - f.R.T @ f.earth_rate


@pytest.mark.parametrize("earth", [False, True])
def test_rate_body_velocity_and_injection_match_their_numpy_formulas(earth: bool) -> None:
    """The compiled angular rate, body-velocity model and error injection, bit for bit."""
    f = _filter(earth)
    lever, gyro = np.array([-1.2, 0.1, 0.3]), np.array([0.01, -0.02, 0.2])
    omega = _numpy_angular_rate(f, gyro)
    np.testing.assert_array_equal(f.angular_rate(gyro), omega)
    predicted, H = f.body_velocity(lever, gyro)
    expected_H = np.zeros((3, N))
    expected_H[:, V], expected_H[:, TH], expected_H[:, BG] = f.R.T, skew(f.R.T @ f.v), skew(lever)
    np.testing.assert_array_equal(predicted, f.R.T @ f.v + cross(omega, lever))
    np.testing.assert_array_equal(H, expected_H)
    dx = np.random.default_rng(7).normal(scale=1e-2, size=N)
    before = f.p, f.v, f.R, f.ba, f.bg
    f.inject(dx)
    for got, old, block in zip((f.p, f.v, f.ba, f.bg), (before[0], before[1], before[3], before[4]), (P, V, BA, BG)):
        np.testing.assert_array_equal(got, old + dx[block])
    np.testing.assert_array_equal(f.R, before[2] @ so3_exp(dx[TH]))


def test_coast_grows_uncertainty_and_moves_at_constant_velocity() -> None:
    f = _filter()
    f.P = np.eye(N) * 1e-4
    p0 = f.p.copy()
    f.coast(1.0, accel_std=3.0, yaw_rate_std=0.3)
    assert np.allclose(f.p, p0 + f.v)
    assert f.P[V, V][0, 0] > 8.0 and f.P[TH, TH][2, 2] > 0.08 and f.P[BG, BG][0, 0] >= 1e-4
