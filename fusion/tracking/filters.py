"""Batched Kalman filter maths: many tracks at once, as stacked arrays (N, d) and (N, d, d).

- Prediction: EKF (x = f(x), P = F P F^T + Q; the linear KF is the same with f(x) = F x) and UKF
  (scaled sigma points of van der Merwe, the same construction and weights as filterpy's
  MerweScaledSigmaPoints, so both agree to rounding).
- Measurement prediction: z_hat, S0 = Cov(h(x)) without R, and the state-measurement cross
  covariance (P H^T, or the sigma-point Pxz); kept apart from R so that gating can add each
  detection's own R.
- Update: Joseph form (I - K H) P (I - K H)^T + K R K^T when H exists (KF/EKF); P - K S K^T for the
  UKF, as filterpy does. Covariances are symmetrised and checked for positive definiteness.
The per-track matrix formulas run in compiled kernels (fusion.tracking.kernels).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.tracking.kernels import ekf_moments, joseph_update, propagated_covariance, sigma_point_update, symmetrized_definite
from fusion.tracking.measurement import MeasurementModel, SensorPose
from fusion.tracking.motion import MotionModel

_LOG_2PI = np.log(2.0 * np.pi)


def transpose(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def symmetrize(P: np.ndarray) -> np.ndarray:
    return 0.5 * (P + transpose(P))


def ensure_positive_definite(P: np.ndarray, floor: float = 1e-9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetrised covariances, with the ones that lost positive definiteness (no Cholesky factor)
    repaired by clipping their eigenvalues to `floor` (relative to their scale). Returns (P, repaired
    mask, failed mask); failed = non-finite, beyond repair."""
    P, finite, definite = symmetrized_definite(P)
    repaired = np.zeros(len(P), dtype=bool)
    if np.count_nonzero(definite) == len(definite):
        return P, repaired, ~finite
    rows = np.flatnonzero(finite & ~definite)
    values, vectors = np.linalg.eigh(P[rows])
    scale = np.maximum(np.abs(values).max(axis=1, keepdims=True), 1e-12)
    bad = values.min(axis=1) <= floor * scale[:, 0]
    if bad.any():
        fixed = np.maximum(values[bad], floor * scale[bad])
        v = vectors[bad]
        P[rows[bad]] = symmetrize((v * fixed[:, None, :]) @ transpose(v))
        repaired[rows[bad]] = True
    return P, repaired, ~finite


class SigmaPoints:
    """Scaled sigma points (van der Merwe): 2n + 1 points with mean weights Wm and covariance weights Wc."""

    def __init__(self, n: int, alpha: float, beta: float, kappa: float):
        self.n, self.alpha, self.beta, self.kappa = n, alpha, beta, kappa
        self.lam = alpha**2 * (n + kappa) - n
        c = 0.5 / (n + self.lam)
        self.Wm = np.full(2 * n + 1, c)
        self.Wc = np.full(2 * n + 1, c)
        self.Wm[0] = self.lam / (n + self.lam)
        self.Wc[0] = self.lam / (n + self.lam) + (1.0 - alpha**2 + beta)

    def points(self, x: np.ndarray, P: np.ndarray) -> np.ndarray:
        """Sigma points (N, 2n + 1, n): x, x + columns of chol((n + lambda) P), x - the same columns."""
        L = np.linalg.cholesky((self.n + self.lam) * P)
        cols = transpose(L)  # row k = column k of L = row k of the upper factor filterpy uses
        return np.concatenate([x[:, None, :], x[:, None, :] + cols, x[:, None, :] - cols], axis=1)

    def transform(self, sigmas: np.ndarray, mean_fn, residual_fn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unscented transform: mean (N, m), covariance (N, m, m) and the deviations (N, S, m)."""
        mean = mean_fn(sigmas, self.Wm)
        dev = residual_fn(sigmas, mean[:, None, :])
        return mean, np.einsum("s,nsi,nsj->nij", self.Wc, dev, dev), dev


def ekf_predict(motion: MotionModel, x: np.ndarray, P: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    F, Q = motion.linearized(x, dt)
    d = motion.dim
    return motion.transition(x, dt), propagated_covariance(*(np.ascontiguousarray(a).reshape(-1, d, d) for a in (P, F, Q)))


def ukf_predict(motion: MotionModel, x: np.ndarray, P: np.ndarray, dt: float, sigma: SigmaPoints) -> tuple[np.ndarray, np.ndarray]:
    Q = motion.noise(x, dt)
    sigmas = sigma.points(x, P)
    propagated = motion.transition(sigmas, dt)
    mean, cov, _ = sigma.transform(propagated, motion.mean, motion.residual)
    return motion.normalize(mean), cov + Q


@dataclass
class MeasurementPrediction:
    """Predicted measurements of N tracks: z_hat (N, m), S0 = Cov(h(x)) (N, m, m) without R, cross
    covariance Cov(x, h(x)) (N, d, m), and the Jacobian H (N, m, d) (None for the UKF)."""

    zhat: np.ndarray
    S0: np.ndarray
    cross: np.ndarray
    H: np.ndarray | None

    def take(self, rows: np.ndarray) -> MeasurementPrediction:
        return MeasurementPrediction(self.zhat[rows], self.S0[rows], self.cross[rows], None if self.H is None else self.H[rows])


def ekf_measurement(model: MeasurementModel, motion: MotionModel, x: np.ndarray, P: np.ndarray,
                    pose: SensorPose, sizes: np.ndarray) -> MeasurementPrediction:
    zhat, H = model.predict_with_jacobian(motion, x, pose, sizes)
    cross, S0 = ekf_moments(P, H)
    return MeasurementPrediction(zhat, S0, cross, H)


def ukf_measurement(model: MeasurementModel, motion: MotionModel, x: np.ndarray, P: np.ndarray,
                    pose: SensorPose, sizes: np.ndarray, sigma: SigmaPoints) -> MeasurementPrediction:
    sigmas = sigma.points(x, P)
    zs = model.predict(motion, sigmas, pose, sizes[:, None, :])
    zhat, S0, dz = sigma.transform(zs, model.mean, model.residual)
    dx = motion.residual(sigmas, x[:, None, :])
    cross = np.einsum("s,nsi,nsj->nij", sigma.Wc, dx, dz)
    return MeasurementPrediction(zhat, S0, cross, None)


def innovation(model: MeasurementModel, z: np.ndarray, R: np.ndarray, pred: MeasurementPrediction) -> tuple[np.ndarray, np.ndarray]:
    """Residuals y (K, m) and innovation covariances S (K, m, m) of paired rows."""
    return model.residual(z, pred.zhat), pred.S0 + R


def log_likelihood(y: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Gaussian log density (K,) of residuals y under covariances S."""
    _, logdet = np.linalg.slogdet(S)
    d2 = np.einsum("ki,ki->k", y, np.linalg.solve(S, y[..., None])[..., 0])
    return -0.5 * (d2 + logdet + y.shape[-1] * _LOG_2PI)


def kalman_update(motion: MotionModel, model: MeasurementModel, x: np.ndarray, P: np.ndarray, z: np.ndarray,
                  R: np.ndarray, pred: MeasurementPrediction,
                  likelihood: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Update paired rows (K tracks, K measurements). Returns x, P and, when asked, the measurement
    log-likelihoods."""
    y, S = innovation(model, z, R, pred)
    if pred.H is not None:
        x_new, P_new = joseph_update(x, P, y, S, pred.cross, pred.H, R)
    else:
        x_new, P_new = sigma_point_update(x, P, y, S, pred.cross)
    return motion.normalize(x_new), P_new, log_likelihood(y, S) if likelihood else None
