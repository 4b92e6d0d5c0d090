"""The per-object reference: one filterpy filter per track (KalmanFilter, ExtendedKalmanFilter,
UnscentedKalmanFilter, or an IMMEstimator over EKF/UKF modes) with the same motion and measurement
models as the batched engines, behind the same engine interface (see fusion.tracking.engine).

`MultiObjectTracker(..., engine="filterpy")` is therefore the per-object tracker: same gating,
association and track management, filtering done object by object in filterpy. Tests compare it with
the batched engines; the tracker benchmark uses it as the baseline.

What the adapters add around filterpy, and why:
- states are wrapped (yaw) after each update, and the innovation of the linear KF (which has no
  residual function) is formed by moving z next to h(x) by the wrapped residual;
- covariances are symmetrised and checked after each update, and screened before each prediction
  (as the batched engines do); the gain is filterpy's own in each filter class (the batched engines
  solve for it in compiled kernels, which agrees to rounding);
- the IMM's Markov matrix is set for each step's dt before mixing, and the predicted mode
  probabilities (cbar) become the prior of the next update.
"""
from __future__ import annotations

import copy

import numpy as np
from filterpy.kalman import (ExtendedKalmanFilter, IMMEstimator, KalmanFilter, MerweScaledSigmaPoints,
                             UnscentedKalmanFilter, unscented_transform)

from fusion.tracking.config import FilterConfig
from fusion.tracking.filters import MeasurementPrediction, ensure_positive_definite
from fusion.tracking.kernels import covariance_suspects
from fusion.tracking.measurement import MeasurementModel, SensorPose
from fusion.tracking.motion import MotionModel, imm_transition_matrix


class _PerObject:
    """Shared by the filterpy subclasses: the motion model, the step to predict over, the pending
    measurement (model, pose, R) and the post-update checks."""

    motion: MotionModel
    dt: float = 0.0
    pending: tuple[MeasurementModel, SensorPose, np.ndarray, np.ndarray] | None = None   # model, pose, R, size
    repaired = failed = False

    def _h(self, model: MeasurementModel, pose: SensorPose, size: np.ndarray):
        return lambda x: model.predict(self.motion, x[None], pose, size[None])[0]

    def _after_update(self) -> None:
        self.x = self.motion.normalize(self.x)
        P, repaired, failed = ensure_positive_definite(self.P[None])
        self.P, self.repaired, self.failed = P[0], bool(repaired[0]), bool(failed[0]) or not np.all(np.isfinite(self.x))


class _KF(_PerObject, KalmanFilter):
    def __init__(self, motion: MotionModel):
        KalmanFilter.__init__(self, dim_x=motion.dim, dim_z=1)
        self.motion = motion

    def predict(self, u=None, **_):
        self.F = self.motion.jacobian(self.x[None], self.dt)[0]
        self.Q = self.motion.noise(self.x[None], self.dt)[0]
        KalmanFilter.predict(self)
        self.x = self.motion.normalize(self.x)

    def update(self, z, **_):
        model, pose, R, size = self.pending
        H = model.jacobian(self.motion, self.x[None], pose, size[None])[0]
        zhat = H @ self.x
        self.dim_z = len(z)
        KalmanFilter.update(self, zhat + model.residual(z, zhat), R=R, H=H)
        self._after_update()


class _EKF(_PerObject, ExtendedKalmanFilter):
    def __init__(self, motion: MotionModel):
        ExtendedKalmanFilter.__init__(self, dim_x=motion.dim, dim_z=1)
        self.motion = motion

    def predict_x(self, u=0):
        self.x = self.motion.transition(self.x, self.dt)

    def predict(self, u=0, **_):
        self.F = self.motion.jacobian(self.x[None], self.dt)[0]
        self.Q = self.motion.noise(self.x[None], self.dt)[0]
        ExtendedKalmanFilter.predict(self)

    def update(self, z, **_):
        model, pose, R, size = self.pending
        ExtendedKalmanFilter.update(self, z, HJacobian=lambda x: model.jacobian(self.motion, x[None], pose, size[None])[0],
                                    Hx=self._h(model, pose, size), R=R, residual=model.residual)
        self._after_update()


class _UKF(_PerObject, UnscentedKalmanFilter):
    def __init__(self, motion: MotionModel, config: FilterConfig):
        points = MerweScaledSigmaPoints(motion.dim, alpha=config.ukf_alpha, beta=config.ukf_beta, kappa=config.ukf_kappa)
        UnscentedKalmanFilter.__init__(self, dim_x=motion.dim, dim_z=1, dt=0.0, hx=None, fx=motion.transition,
                                       points=points, x_mean_fn=motion.mean, residual_x=motion.residual)
        self.motion = motion

    def predict(self, dt=None, **_):
        self.Q = self.motion.noise(self.x[None], self.dt)[0]
        UnscentedKalmanFilter.predict(self, dt=self.dt)

    def update(self, z, **_):
        model, pose, R, size = self.pending
        self.z_mean, self.residual_z = model.mean, model.residual
        UnscentedKalmanFilter.update(self, z, R=R, hx=self._h(model, pose, size))
        self._after_update()


class FilterpyEngine:
    """One filterpy filter (or IMMEstimator) per track, in a Python list."""

    def __init__(self, motion: MotionModel, modes: tuple[MotionModel, ...], config: FilterConfig, switch_rate_hz: float,
                 initial_turn_probability: float):
        self.motion = motion
        self.modes = modes
        self.config = config
        self.switch_rate_hz = switch_rate_hz
        self.initial_mu = np.array([1.0 - initial_turn_probability, initial_turn_probability])
        self.points = MerweScaledSigmaPoints(motion.dim, alpha=config.ukf_alpha, beta=config.ukf_beta, kappa=config.ukf_kappa)
        self.filters: list = []
        self.repairs = 0

    def __len__(self) -> int:
        return len(self.filters)

    def _single(self, motion: MotionModel):
        if self.config.kind == "ukf":
            return _UKF(motion, self.config)
        return _EKF(motion) if self.config.kind == "ekf" else _KF(motion)

    def _members(self, f) -> list:
        return f.filters if isinstance(f, IMMEstimator) else [f]

    def _new(self, x: np.ndarray, P: np.ndarray):
        members = [self._single(m) for m in (self.modes or (self.motion,))]
        for member in members:
            member.x, member.P = x.copy(), P.copy()
        if not self.modes:
            return members[0]
        imm = IMMEstimator(members, self.initial_mu.copy(), np.eye(len(members)))
        imm.x, imm.P = x.copy(), P.copy()
        return imm

    def add(self, x0: np.ndarray, P0: np.ndarray) -> None:
        self.filters.extend(self._new(x, P) for x, P in zip(x0, P0))

    def reset(self, rows: np.ndarray, x0: np.ndarray, P0: np.ndarray) -> None:
        for row, x, P in zip(rows, x0, P0):
            self.filters[row] = self._new(x, P)

    def keep(self, mask: np.ndarray) -> None:
        self.filters = [f for f, k in zip(self.filters, mask) if k]

    def copy(self) -> FilterpyEngine:
        return copy.deepcopy(self)

    def predict(self, dt: float) -> np.ndarray:
        failed = np.zeros(len(self), dtype=bool)
        for k, f in enumerate(self.filters):
            for member in self._members(f):
                member.dt = dt
                if dt > 0.0 and covariance_suspects(member.P[None])[0]:   # the batched engines' screen
                    P, repaired, bad = ensure_positive_definite(member.P[None])
                    member.P = P[0] if not bad[0] else np.eye(len(P[0]))
                    self.repairs += int(repaired[0])
                    failed[k] |= bool(bad[0])
            if isinstance(f, IMMEstimator):
                f.M = imm_transition_matrix(self.switch_rate_hz, dt)
                f._compute_mixing_probabilities()   # omega and cbar for this dt (cbar = mu at dt = 0)
                if dt == 0.0:
                    continue
                f.predict()
                f.mu = f.cbar.copy()                # predicted mode probabilities
                f._compute_state_estimate()
            elif dt > 0.0:
                f.predict()
        return failed | np.array([not np.all(np.isfinite(f.x)) for f in self.filters], dtype=bool)

    def measurement_prediction(self, model: MeasurementModel, pose: SensorPose, rows: np.ndarray,
                               sizes: np.ndarray) -> MeasurementPrediction:
        out = [self._predict_measurement(model, pose, self.filters[r].x, self.filters[r].P, size) for r, size in zip(rows, sizes)]
        if not out:
            d, m = self.motion.dim, model.dim
            return MeasurementPrediction(np.zeros((0, m)), np.zeros((0, m, m)), np.zeros((0, d, m)), None)
        zhat, S0, cross, H = (np.array(a) for a in zip(*out))
        return MeasurementPrediction(zhat, S0, cross, None if self.config.kind == "ukf" else H)

    def _predict_measurement(self, model: MeasurementModel, pose: SensorPose, x: np.ndarray, P: np.ndarray,
                             size: np.ndarray):
        if self.config.kind != "ukf":
            H = model.jacobian(self.motion, x[None], pose, size[None])[0]
            return model.predict(self.motion, x[None], pose, size[None])[0], H @ P @ H.T, P @ H.T, H
        sigmas = self.points.sigma_points(x, P)
        zs = np.array([model.predict(self.motion, s[None], pose, size[None])[0] for s in sigmas])
        zhat, S0 = unscented_transform(zs, self.points.Wm, self.points.Wc, None, model.mean, model.residual)
        cross = sum(w * np.outer(self.motion.residual(s, x), model.residual(zi, zhat))
                    for w, s, zi in zip(self.points.Wc, sigmas, zs))
        return zhat, S0, cross, np.zeros((len(zhat), len(x)))

    def update(self, rows: np.ndarray, z: np.ndarray, R: np.ndarray, model: MeasurementModel, pose: SensorPose,
               pred: MeasurementPrediction, sizes: np.ndarray) -> np.ndarray:
        failed = np.zeros(len(rows), dtype=bool)
        for k, row in enumerate(rows):
            f = self.filters[row]
            members = self._members(f)
            for member in members:
                member.pending = (model, pose, R[k], sizes[k])
            f.update(z[k])
            self.repairs += sum(member.repaired for member in members)
            failed[k] = any(member.failed for member in members)
        return failed

    def estimate(self) -> tuple[np.ndarray, np.ndarray]:
        d = self.motion.dim
        if not self.filters:
            return np.zeros((0, d)), np.zeros((0, d, d))
        return np.array([f.x for f in self.filters]), np.array([f.P for f in self.filters])
