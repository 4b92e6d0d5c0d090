"""Motion models: Jacobians against central differences, noise matrices, yaw wrap, CTRV near zero turn rate."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import numerical_jacobian

from fusion.tracking.config import MotionConfig
from fusion.tracking.motion import (ConstantAcceleration, ConstantHeading, ConstantTurnRate, ConstantVelocity, Static,
                                    build_motion_model, imm_transition_matrix)

MODELS = [ConstantVelocity, ConstantAcceleration, ConstantTurnRate, ConstantHeading, Static]


def _states(model, n=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 3.0, (n, model.dim))
    x[:, model.yaw_index] = rng.uniform(-np.pi, np.pi, n)
    if model.yaw_rate_index is not None:
        x[:, model.yaw_rate_index] = rng.normal(0.0, 0.5, n)
    return x


@pytest.mark.parametrize("cls", MODELS)
def test_transition_jacobian_matches_finite_differences(cls):
    model = cls(MotionConfig())
    x = _states(model)
    for dt in (0.05, 0.1, 0.7):
        # differences of the unwrapped transition (wrap only moves yaw by 2 pi)
        f = lambda s: model.residual(model.transition(s, dt), model.transition(x, dt)) + model.transition(x, dt)  # noqa: E731
        np.testing.assert_allclose(model.jacobian(x, dt), numerical_jacobian(f, x), atol=1e-6)


def test_ctrv_small_turn_rate_is_continuous_and_differentiable():
    model = ConstantTurnRate(MotionConfig())
    base = np.array([1.0, 2.0, 0.5, 8.0, 0.7, 0.0, 0.1])
    rates = np.array([-2e-4, -1.0001e-4, -0.9999e-4, 0.0, 0.9999e-4, 1.0001e-4, 2e-4])
    x = np.tile(base, (len(rates), 1))
    x[:, 5] = rates
    out = model.transition(x, 0.5)
    exact_x = x[:, 0] + 8.0 / np.where(rates == 0, 1, rates) * (np.sin(0.7 + rates * 0.5) - np.sin(0.7))
    straight = 1.0 + 8.0 * np.cos(0.7) * 0.5
    np.testing.assert_allclose(out[:, 0], np.where(rates == 0, straight, exact_x), atol=1e-7)
    np.testing.assert_allclose(model.jacobian(x, 0.5), numerical_jacobian(lambda s: model.transition(s, 0.5), x, 1e-5),
                               atol=1e-5)


@pytest.mark.parametrize("cls", MODELS)
def test_noise_is_symmetric_positive_semidefinite_and_grows_with_dt(cls):
    model = cls(MotionConfig())
    x = _states(model, 5)
    q1, q2 = model.noise(x, 0.1), model.noise(x, 0.5)
    np.testing.assert_allclose(q1, np.swapaxes(q1, 1, 2))
    assert np.linalg.eigvalsh(q1).min() > -1e-12
    assert np.all(np.trace(q2, axis1=1, axis2=2) > np.trace(q1, axis1=1, axis2=2))
    np.testing.assert_allclose(model.noise(x, 0.0), 0.0)


def test_cv_noise_is_the_white_acceleration_integral():
    q = 2.0
    model = ConstantVelocity(MotionConfig(accel_psd=q))
    dt = 0.3
    Q = model.noise(np.zeros((1, 8)), dt)[0]
    assert Q[0, 0] == pytest.approx(q * dt**3 / 3)
    assert Q[0, 3] == pytest.approx(q * dt**2 / 2)
    assert Q[3, 3] == pytest.approx(q * dt)


@pytest.mark.parametrize("cls", MODELS)
def test_yaw_stays_wrapped(cls):
    model = cls(MotionConfig())
    x = _states(model, 50)
    x[:, model.yaw_index] = np.pi - 1e-3
    if model.yaw_rate_index is not None:
        x[:, model.yaw_rate_index] = 1.0
    out = model.transition(x, 0.5)
    assert np.all(out[:, model.yaw_index] >= -np.pi) and np.all(out[:, model.yaw_index] < np.pi)
    d = model.residual(np.array([[0.0] * (model.dim - 1) + [0.0]]), np.zeros((1, model.dim)))
    assert d.shape == (1, model.dim)


def test_angular_mean_and_residual_handle_the_wrap():
    model = ConstantVelocity(MotionConfig())
    sig = np.zeros((1, 3, 8))
    sig[0, :, 6] = [np.pi - 0.1, -np.pi + 0.1, np.pi - 0.1]
    m = model.mean(sig, np.array([1 / 3, 1 / 3, 1 / 3]))
    assert abs(abs(m[0, 6]) - np.pi) < 0.05
    a, b = np.zeros(8), np.zeros(8)
    a[6], b[6] = np.pi - 0.1, -np.pi + 0.1
    assert model.residual(a, b)[6] == pytest.approx(-0.2)


def test_kinematics_report_velocity_and_covariance_for_ctrv():
    model = ConstantTurnRate(MotionConfig())
    x = np.array([[0.0, 0.0, 0.0, 10.0, np.pi / 2, 0.1, 0.5]])
    P = np.diag([1.0, 2.0, 3.0, 4.0, 0.01, 0.02, 0.05])[None]
    k = model.kinematics(x, P)
    np.testing.assert_allclose(k.velocity[0], [0.0, 10.0, 0.5], atol=1e-12)
    assert k.yaw_rate[0] == 0.1
    # vx = v cos(yaw): at yaw = 90 deg its variance is v^2 var(yaw)
    assert k.twist_covariance[0, 0, 0] == pytest.approx(100 * 0.01)
    assert k.twist_covariance[0, 1, 1] == pytest.approx(4.0)
    np.testing.assert_allclose(np.diag(k.pose_covariance[0]), [1.0, 2.0, 3.0, 0.01])


def test_imm_transition_matrix_and_build():
    np.testing.assert_allclose(imm_transition_matrix(0.5, 0.0), np.eye(2))
    m = imm_transition_matrix(0.5, 0.2)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    np.testing.assert_allclose(imm_transition_matrix(0.5, 0.4), m @ m)   # a Markov semigroup
    layout, modes = build_motion_model(MotionConfig(model="imm"))
    assert isinstance(layout, ConstantTurnRate) and [type(m) for m in modes] == [ConstantHeading, ConstantTurnRate]


@pytest.mark.parametrize("model", ["cv", "imm"])
def test_an_engine_copy_predicts_without_touching_the_original(model):
    from fusion.tracking.config import FilterConfig
    from fusion.tracking.engine import build_engine
    from fusion.tracking.motion import build_motion_model

    motion, modes = build_motion_model(MotionConfig(model=model))
    engine = build_engine(motion, modes, FilterConfig(kind="ekf"), 0.5, 0.2)
    x0 = np.zeros((2, motion.dim))
    x0[:, 3] = 5.0
    engine.add(x0, np.tile(np.eye(motion.dim), (2, 1, 1)))
    state = {name: getattr(engine, name).copy() for name in ("x", "P", "xm", "Pm", "mu") if hasattr(engine, name)}
    engine.copy().predict(0.5)
    for name, before in state.items():
        np.testing.assert_array_equal(getattr(engine, name), before)
