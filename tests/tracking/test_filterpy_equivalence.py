"""The batched engines match the per-object filterpy reference (KalmanFilter, ExtendedKalmanFilter,
UnscentedKalmanFilter, IMMEstimator) for every motion model, measurement model and filter kind:
state and covariance agree to a relative error of 1e-8 over 100 predict/update steps (the gains are
solved differently: filterpy inverts S, the compiled kernels eliminate)."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from fusion.core.transform import Transform
from fusion.tracking.config import CameraTracking, FilterConfig, InitialConfig, LidarTracking, MotionConfig, RadarTracking
from fusion.tracking.engine import build_engine
from fusion.tracking.measurement import SensorPose
from fusion.tracking.motion import ConstantVelocity, build_motion_model
from fusion.tracking.reference import FilterpyEngine
from sensors.camera.measurement_model import CameraCenterModel
from sensors.lidar.measurement_model import LidarBoxModel
from sensors.radar.measurement_model import RadarPolarModel

TOLERANCE = 1e-8
STEPS = 100
SENSORS = {"lidar": "lidar_top", "radar": "radar_front", "camera": "camera_front"}
CASES = [(motion, kind, filt)
         for motion in ("cv", "ca", "ctrv", "imm", "static")
         for kind in ("lidar", "radar", "camera")
         for filt in ("kf", "ekf", "ukf")
         if filt != "kf" or (motion in ("cv", "ca", "static") and kind == "lidar")]


def _model(vehicle, kind):
    cls, settings = {"lidar": (LidarBoxModel, LidarTracking()), "radar": (RadarPolarModel, RadarTracking()),
                     "camera": (CameraCenterModel, CameraTracking())}[kind]
    return cls(SENSORS[kind], vehicle.sensors[SENSORS[kind]], settings)


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1.0))


@pytest.mark.parametrize("motion_name,kind,filter_kind", CASES)
def test_batched_engine_matches_filterpy(vehicle, motion_name, kind, filter_kind):
    rng = np.random.default_rng(zlib.crc32(f"{motion_name}/{kind}/{filter_kind}".encode()))
    motion_config = MotionConfig(model=motion_name)
    motion, modes = build_motion_model(motion_config)
    filter_config = FilterConfig(kind=filter_kind)
    args = (motion, modes, filter_config, motion_config.imm_switch_rate_hz, motion_config.imm_initial_turn_probability)
    batched, reference = build_engine(*args), FilterpyEngine(*args)
    lidar, model = _model(vehicle, "lidar"), _model(vehicle, kind)

    # two objects ahead of an ego driving at 6 m/s, moving and turning slowly (headings stay off +-pi,
    # where filterpy's IMM would average angles without wrapping)
    truth_model = ConstantVelocity(MotionConfig())
    truth = np.zeros((2, 8))
    truth[:, 0:3] = [[18.0, 3.0, 0.8], [30.0, -4.0, 0.7]]
    truth[:, 3:6] = [[8.0, 0.5, 0.0], [5.0, -0.8, 0.0]]
    truth[:, 6], truth[:, 7] = [0.1, -0.2], [0.05, -0.03]
    noise = np.diag([0.3, 0.3, 0.2, 0.2])
    x0, P0 = motion.initial_state(truth[:, 0:3] + rng.normal(0, 0.3, (2, 3)), np.tile(noise[:3, :3] ** 2, (2, 1, 1)),
                                  truth[:, 6], np.full(2, 0.04), np.zeros((2, 3)), InitialConfig())
    batched.add(x0, P0)
    reference.add(x0, P0)
    t = 0.0
    worst = 0.0
    for step in range(STEPS):
        dt = float(rng.uniform(0.05, 0.15))
        t += dt
        truth = truth_model.transition(truth, dt)
        batched.predict(dt)
        reference.predict(dt)
        this = lidar if step % 4 == 0 else model
        name = SENSORS[this.kind]
        ego = Transform.from_rpy([6.0 * t, 0.0, 0.0], [0.0, 0.0, 0.02 * np.sin(t)])
        pose = SensorPose(ego @ vehicle.sensors[name].mount.transform(), np.array([6.0, 0.0, 0.0]))
        sizes = np.array([[4.5, 1.9, 1.6], [0.8, 0.7, 1.8]])
        z = this.predict(truth_model, truth, pose, sizes)
        R = np.tile(np.eye(this.dim) * 0.01, (2, 1, 1))
        z = z + rng.normal(0.0, 0.1, z.shape)
        rows = np.arange(2)
        pred_b = batched.measurement_prediction(this, pose, rows, sizes)
        pred_r = reference.measurement_prediction(this, pose, rows, sizes)
        worst = max(worst, _relative(pred_b.zhat, pred_r.zhat), _relative(pred_b.S0, pred_r.S0))
        assert not batched.update(rows, z, R, this, pose, pred_b, sizes).any()
        assert not reference.update(rows, z, R, this, pose, pred_r, sizes).any()
        (xb, Pb), (xr, Pr) = batched.estimate(), reference.estimate()
        dx = motion.residual(xb, xr)
        worst = max(worst, float(np.linalg.norm(dx) / max(np.linalg.norm(xr), 1.0)), _relative(Pb, Pr))
    assert worst <= TOLERANCE, f"relative error {worst:.2e}"
    assert batched.repairs == reference.repairs == 0


def test_equivalence_covers_every_model():
    kinds = {(m, k) for m, k, _ in CASES}
    assert len(kinds) == 15 and {f for _, _, f in CASES} == {"kf", "ekf", "ukf"}
