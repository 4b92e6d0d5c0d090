"""Filter engines: where the kinematic state of all tracks lives and how it is predicted and updated.

`BatchedEngine` (KF / EKF / UKF) and `ImmEngine` (CV + CTRV) keep every track's state in stacked arrays
and work on all of them in one vectorised call. fusion.tracking.reference.FilterpyEngine has the same
interface with one filterpy object per track; the tracker runs on either, which is how the two are
compared (tests) and timed (benchmark).

Interface: len(); add(x0, P0); keep(mask); reset(rows, x0, P0); predict(dt) -> failed mask; measurement_prediction(model,
pose, rows, sizes) -> MeasurementPrediction of those tracks (for gating); update(rows, z, R, model, pose,
pred, sizes) with pred and sizes aligned to rows -> failed mask over rows; estimate() -> (x, P); copy();
`repairs` counts covariances repaired. Box sizes are the measurement models' per-track parameter.
"""
from __future__ import annotations

import copy

import numpy as np

from fusion.tracking.config import FilterConfig
from fusion.tracking.filters import (MeasurementPrediction, SigmaPoints, ekf_measurement, ekf_predict,
                                     ensure_positive_definite, kalman_update, ukf_measurement, ukf_predict)
from fusion.tracking.kernels import covariance_suspects, nonfinite_rows
from fusion.tracking.measurement import MeasurementModel, SensorPose
from fusion.tracking.motion import MotionModel, imm_transition_matrix


class BatchedEngine:
    """Single-model KF / EKF / UKF over stacked states x (N, d) and covariances P (N, d, d)."""

    _STATE = ("x", "P")

    def __init__(self, motion: MotionModel, config: FilterConfig):
        self.motion = motion
        self.kind = config.kind
        d = motion.dim
        self.sigma = SigmaPoints(d, config.ukf_alpha, config.ukf_beta, config.ukf_kappa) if config.kind == "ukf" else None
        self.x = np.zeros((0, d))
        self.P = np.zeros((0, d, d))
        self.repairs = 0

    def __len__(self) -> int:
        return len(self.x)

    def add(self, x0: np.ndarray, P0: np.ndarray) -> None:
        self.x = np.concatenate([self.x, x0])
        self.P = np.concatenate([self.P, P0])

    def keep(self, mask: np.ndarray) -> None:
        self.x, self.P = self.x[mask], self.P[mask]

    def reset(self, rows: np.ndarray, x0: np.ndarray, P0: np.ndarray) -> None:
        """Restart the state of existing tracks."""
        self.x[rows], self.P[rows] = x0, P0

    def copy(self) -> BatchedEngine:
        """An independent engine over copies of the state arrays (models and settings are shared:
        nothing mutates them)."""
        other = copy.copy(self)
        for name in self._STATE:
            setattr(other, name, getattr(self, name).copy())
        return other

    def _checked(self, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Symmetrised covariances, repaired where they lost positive definiteness; failed mask."""
        P, repaired, failed = ensure_positive_definite(P)
        self.repairs += np.count_nonzero(repaired)
        if np.count_nonzero(failed):
            P[failed] = np.eye(P.shape[-1])   # such tracks are dropped by the caller; keeps the batch computable
        return P, failed

    def _screened(self, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Before a prediction: covariances failing the cheap screen (non-finite, non-positive variance)
        are checked and repaired; updates check fully (only they can lose definiteness)."""
        failed = np.zeros(len(P), dtype=bool)
        suspect = covariance_suspects(P)
        if np.count_nonzero(suspect):
            P = P.copy()
            P[suspect], failed[suspect] = self._checked(P[suspect])
        return P, failed

    def _predict(self, motion: MotionModel, x: np.ndarray, P: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
        if self.sigma is not None:
            return ukf_predict(motion, x, P, dt, self.sigma)
        return ekf_predict(motion, x, P, dt)

    def _measure(self, model: MeasurementModel, motion: MotionModel, x: np.ndarray, P: np.ndarray,
                 pose: SensorPose, sizes: np.ndarray) -> MeasurementPrediction:
        if self.sigma is not None:
            return ukf_measurement(model, motion, x, P, pose, sizes, self.sigma)
        return ekf_measurement(model, motion, x, P, pose, sizes)

    def predict(self, dt: float) -> np.ndarray:
        if len(self) == 0 or dt == 0.0:
            return np.zeros(len(self), dtype=bool)
        self.P, failed = self._screened(self.P)
        try:
            self.x, self.P = self._predict(self.motion, self.x, self.P, dt)
        except np.linalg.LinAlgError:      # sigma points of a covariance indefinite past the screen
            self.P, bad = self._checked(self.P)
            failed |= bad
            self.x, self.P = self._predict(self.motion, self.x, self.P, dt)
        return failed | nonfinite_rows(self.x)

    def measurement_prediction(self, model: MeasurementModel, pose: SensorPose, rows: np.ndarray,
                               sizes: np.ndarray) -> MeasurementPrediction:
        return self._measure(model, self.motion, self.x[rows], self.P[rows], pose, sizes)

    def update(self, rows: np.ndarray, z: np.ndarray, R: np.ndarray, model: MeasurementModel, pose: SensorPose,
               pred: MeasurementPrediction, sizes: np.ndarray) -> np.ndarray:
        x, P, _ = kalman_update(self.motion, model, self.x[rows], self.P[rows], z, R, pred)
        P, failed = self._checked(P)
        self.x[rows], self.P[rows] = x, P
        return failed | nonfinite_rows(x)

    def estimate(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x, self.P


class ImmEngine(BatchedEngine):
    """Interacting multiple models: mode-conditioned states xm (N, r, d), Pm (N, r, d, d) and mode
    probabilities mu (N, r); x, P are the combined (moment-matched) estimate used for gating and output.

    Mixing and combination average angles relative to a reference mode (wrap-safe); the Markov chain's
    transition matrix depends on dt (identity at dt = 0), and the predicted mode probabilities become
    the prior of the next update."""

    _STATE = BatchedEngine._STATE + ("xm", "Pm", "mu")

    def __init__(self, layout: MotionModel, modes: tuple[MotionModel, ...], config: FilterConfig, switch_rate_hz: float,
                 initial_probabilities: np.ndarray):
        super().__init__(layout, config)
        self.modes = modes
        self.switch_rate_hz = switch_rate_hz
        self.initial_probabilities = np.asarray(initial_probabilities, dtype=float)
        r, d = len(modes), layout.dim
        self.xm = np.zeros((0, r, d))
        self.Pm = np.zeros((0, r, d, d))
        self.mu = np.zeros((0, r))

    def add(self, x0: np.ndarray, P0: np.ndarray) -> None:
        r = len(self.modes)
        self.xm = np.concatenate([self.xm, np.repeat(x0[:, None], r, axis=1)])
        self.Pm = np.concatenate([self.Pm, np.repeat(P0[:, None], r, axis=1)])
        self.mu = np.concatenate([self.mu, np.tile(self.initial_probabilities, (len(x0), 1))])
        super().add(x0, P0)

    def keep(self, mask: np.ndarray) -> None:
        self.xm, self.Pm, self.mu = self.xm[mask], self.Pm[mask], self.mu[mask]
        super().keep(mask)

    def reset(self, rows: np.ndarray, x0: np.ndarray, P0: np.ndarray) -> None:
        self.xm[rows], self.Pm[rows] = x0[:, None], P0[:, None]
        self.mu[rows] = self.initial_probabilities
        super().reset(rows, x0, P0)

    def _moments(self, weights: np.ndarray, xs: np.ndarray, Ps: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted mixture moments: weights (K, r), states (K, r, d), covariances (K, r, d, d)."""
        motion = self.motion
        mean = motion.normalize(reference + np.einsum("kr,krd->kd", weights, motion.residual(xs, reference[:, None])))
        dev = motion.residual(xs, mean[:, None])
        cov = np.einsum("kr,krij->kij", weights, Ps + dev[..., :, None] * dev[..., None, :])
        return mean, cov

    def _combine(self, rows: np.ndarray | slice) -> None:
        self.x[rows], self.P[rows] = self._moments(self.mu[rows], self.xm[rows], self.Pm[rows], self.xm[rows, 0])

    def predict(self, dt: float) -> np.ndarray:
        failed = np.zeros(len(self), dtype=bool)
        if len(self) == 0 or dt == 0.0:
            return failed
        M = imm_transition_matrix(self.switch_rate_hz, dt)
        cbar = self.mu @ M
        omega = M[None] * self.mu[:, :, None] / cbar[:, None, :]        # omega[k, i, j] = P(mode i | now j)
        mixed = [self._moments(omega[:, :, j], self.xm, self.Pm, self.xm[:, j]) for j in range(len(self.modes))]
        for j, (mode, (x0, P0)) in enumerate(zip(self.modes, mixed)):
            P0, bad = self._screened(P0)
            try:
                self.xm[:, j], self.Pm[:, j] = self._predict(mode, x0, P0, dt)
            except np.linalg.LinAlgError:
                P0, bad = self._checked(P0)
                self.xm[:, j], self.Pm[:, j] = self._predict(mode, x0, P0, dt)
            failed |= bad
        self.mu = cbar
        self._combine(slice(None))
        return failed | nonfinite_rows(self.x)

    def update(self, rows: np.ndarray, z: np.ndarray, R: np.ndarray, model: MeasurementModel, pose: SensorPose,
               pred: MeasurementPrediction, sizes: np.ndarray) -> np.ndarray:
        failed = np.zeros(len(rows), dtype=bool)
        loglik = np.zeros((len(rows), len(self.modes)))
        for j, mode in enumerate(self.modes):
            mode_pred = self._measure(model, mode, self.xm[rows, j], self.Pm[rows, j], pose, sizes)
            x, P, loglik[:, j] = kalman_update(mode, model, self.xm[rows, j], self.Pm[rows, j], z, R, mode_pred,
                                               likelihood=True)
            P, bad = self._checked(P)
            self.xm[rows, j], self.Pm[rows, j] = x, P
            failed |= bad | nonfinite_rows(x)
        loglik = np.where(np.isfinite(loglik), loglik, -1e300)
        weights = self.mu[rows] * np.exp(loglik - loglik.max(axis=1, keepdims=True))
        self.mu[rows] = weights / weights.sum(axis=1, keepdims=True)
        self._combine(rows)
        return failed


def build_engine(motion: MotionModel, modes: tuple[MotionModel, ...], config: FilterConfig, switch_rate_hz: float,
                 initial_turn_probability: float) -> BatchedEngine:
    if modes:
        return ImmEngine(motion, modes, config, switch_rate_hz, np.array([1.0 - initial_turn_probability, initial_turn_probability]))
    return BatchedEngine(motion, config)

