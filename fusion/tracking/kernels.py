"""Compiled (numba) loops over the small matrices of a tracking cycle.

A cycle works on a few dozen tracks with 4x4 to 10x10 state covariances and 2x2 to 4x4 innovation
covariances: numpy's batched calls spend more on dispatch than on arithmetic there, a dozen calls per
formula. Each kernel here does one formula for every row in one compiled pass (fusion.core.compiled:
cached on disk, loaded at import).
"""
from __future__ import annotations

import numpy as np
from numba import types

from fusion.core.compiled import compiled

# Parameter types of kernels compiled for one signature: any layout, read-only or not
_MATRICES = types.Array(types.float64, 3, "A", readonly=True)
_C_MATRICES = types.Array(types.float64, 3, "C", readonly=True)   # contiguous ones: faster loops
_ROWS = types.Array(types.float64, 2, "A", readonly=True)
_VALUES = types.Array(types.float64, 1, "A", readonly=True)
_INDICES = types.Array(types.int64, 1, "A", readonly=True)


@compiled
def _solve_into(A: np.ndarray, b: np.ndarray, out: np.ndarray) -> bool:
    """out = A^-1 b for one small square A and b (m, n) by Gaussian elimination with partial pivoting;
    False when A is singular (out is then undefined)."""
    m, n = b.shape
    a = A.copy()
    x = b.copy()
    for col in range(m):
        pivot = col
        for r in range(col + 1, m):
            if abs(a[r, col]) > abs(a[pivot, col]):
                pivot = r
        if a[pivot, col] == 0.0 or not np.isfinite(a[pivot, col]):
            return False
        if pivot != col:
            for c in range(m):
                a[col, c], a[pivot, c] = a[pivot, c], a[col, c]
            for c in range(n):
                x[col, c], x[pivot, c] = x[pivot, c], x[col, c]
        for r in range(col + 1, m):
            f = a[r, col] / a[col, col]
            if f != 0.0:
                for c in range(col, m):
                    a[r, c] -= f * a[col, c]
                for c in range(n):
                    x[r, c] -= f * x[col, c]
    for col in range(m - 1, -1, -1):
        for c in range(n):
            s = x[col, c]
            for k in range(col + 1, m):
                s -= a[col, k] * out[k, c]
            out[col, c] = s / a[col, col]
    return True


@compiled
def _mahalanobis2_row(r: np.ndarray, S: np.ndarray, column: np.ndarray, solved: np.ndarray) -> float:
    """r^T S^-1 r of one residual (m,), inf where S is singular; column and solved are (m, 1) scratch."""
    column[:, 0] = r
    if not _solve_into(S, column, solved):
        return np.inf
    s = 0.0
    for a in range(len(r)):
        s += r[a] * solved[a, 0]
    return s


@compiled
def mahalanobis2(residual: np.ndarray, S: np.ndarray) -> np.ndarray:
    """r^T S^-1 r (K,) of residuals (K, m) under covariances (K, m, m); inf where S is singular."""
    k, m = residual.shape
    out = np.empty(k)
    column = np.empty((m, 1))
    solved = np.empty((m, 1))
    for i in range(k):
        out[i] = _mahalanobis2_row(residual[i], S[i], column, solved)
    return out


def angle_periods(angles: tuple[int, ...], n: int) -> np.ndarray:
    """(n,) the period each of n components wraps at: 2 pi for the indices in `angles`, 0 (none) else."""
    return np.array([2.0 * np.pi if i in angles else 0.0 for i in range(n)])


@compiled
def _wrapped_value(v: float, period: float) -> float:
    """v wrapped to [-period/2, period/2) when period > 0 (the formula of
    fusion.core.quaternion.wrap_angle), else v."""
    if period > 0.0:
        return (v + 0.5 * period) % period - 0.5 * period
    return v


@compiled(types.Tuple((types.Array(types.int64, 1, "C"), types.Array(types.float64, 2, "C"), types.Array(types.float64, 3, "C"),
                         types.Array(types.float64, 1, "C")))(_ROWS, _MATRICES, _ROWS, _MATRICES, _INDICES, _INDICES, _VALUES,
                                                              types.float64))
def gated_innovations(z: np.ndarray, R: np.ndarray, zhat: np.ndarray, S0: np.ndarray, detections: np.ndarray,
                      predictions: np.ndarray, periods: np.ndarray,
                      gate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For candidate pairs k (detection detections[k], track prediction predictions[k]): the residual
    z - z_hat (components with a period > 0 wrapped to [-period/2, period/2)), S = S0 + R and the
    squared Mahalanobis distance; returns the pairs within `gate` (their indices, residuals, S, d2)."""
    k, m = len(detections), z.shape[1]
    kept = np.empty(k, dtype=np.int64)
    residual = np.empty((k, m))
    S = np.empty((k, m, m))
    d2 = np.empty(k)
    column = np.empty((m, 1))
    solved = np.empty((m, 1))
    count = 0
    for p in range(k):
        j, t = detections[p], predictions[p]
        for a in range(m):
            residual[count, a] = _wrapped_value(z[j, a] - zhat[t, a], periods[a])
            for b in range(m):
                S[count, a, b] = S0[t, a, b] + R[j, a, b]
        distance = _mahalanobis2_row(residual[count], S[count], column, solved)
        if distance <= gate:
            kept[count], d2[count] = p, distance
            count += 1
    return kept[:count], residual[:count], S[:count], d2[:count]


@compiled
def wrap_periodic(rows: np.ndarray, periods: np.ndarray) -> None:
    """In place on rows (K, n): every component with a period > 0 wrapped to [-period/2, period/2)."""
    for a in range(len(periods)):
        if periods[a] > 0.0:
            for k in range(len(rows)):
                rows[k, a] = _wrapped_value(rows[k, a], periods[a])


def wrapped(values: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """A wrapped copy of values (..., n) (see wrap_periodic)."""
    out = np.array(values, dtype=float)
    wrap_periodic(out.reshape(-1, out.shape[-1]), periods)
    return out


def wrapped_difference(a: np.ndarray, b: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """a - b (broadcast, (..., n)) wrapped (see wrap_periodic)."""
    d = np.subtract(a, b, dtype=float)
    wrap_periodic(d.reshape(-1, d.shape[-1]), periods)
    return d


@compiled
def _gain(cross: np.ndarray, S: np.ndarray) -> np.ndarray:
    """K = cross S^-1 (d, m) for one track, through S^T K^T = cross^T (S symmetric up to rounding);
    NaN where S is singular (the caller's finiteness check drops the track)."""
    d, m = cross.shape
    kt = np.empty((m, d))
    if not _solve_into(S.T.copy(), cross.T.copy(), kt):
        kt[:] = np.nan
    return kt.T.copy()


@compiled
def _corrected(x: np.ndarray, K: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """out = x + K y for one track."""
    for a in range(len(x)):
        s = x[a]
        for b in range(len(y)):
            s += K[a, b] * y[b]
        out[a] = s


@compiled
def _product(A: np.ndarray, B: np.ndarray, out: np.ndarray) -> None:
    """out = A @ B for small matrices (numba's @ calls BLAS, which costs more at these sizes)."""
    for a in range(A.shape[0]):
        for b in range(B.shape[1]):
            s = 0.0
            for c in range(A.shape[1]):
                s += A[a, c] * B[c, b]
            out[a, b] = s


@compiled
def joseph_update(x: np.ndarray, P: np.ndarray, y: np.ndarray, S: np.ndarray, cross: np.ndarray, H: np.ndarray,
                  R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kalman update of K rows with a measurement Jacobian: x + K y and the Joseph form
    (I - K H) P (I - K H)^T + K R K^T, with K = cross S^-1 (angles are left unwrapped)."""
    n, d = x.shape
    m = y.shape[1]
    x_new = np.empty((n, d))
    P_new = np.empty((n, d, d))
    A = np.empty((d, d))
    AP = np.empty((d, d))
    KR = np.empty((d, m))
    for i in range(n):
        K = _gain(cross[i], S[i])
        _corrected(x[i], K, y[i], x_new[i])
        for a in range(d):
            for b in range(d):
                s = 1.0 if a == b else 0.0
                for c in range(m):
                    s -= K[a, c] * H[i, c, b]
                A[a, b] = s
        _product(K, R[i], KR)
        _product(A, P[i], AP)
        for a in range(d):
            for b in range(d):
                s = 0.0
                for c in range(d):
                    s += AP[a, c] * A[b, c]
                for c in range(m):
                    s += KR[a, c] * K[b, c]
                P_new[i, a, b] = s
    return x_new, P_new


@compiled
def sigma_point_update(x: np.ndarray, P: np.ndarray, y: np.ndarray, S: np.ndarray,
                       cross: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kalman update of K rows without a Jacobian (unscented): x + K y and P - K S K^T."""
    n, d = x.shape
    m = y.shape[1]
    x_new = np.empty((n, d))
    P_new = np.empty((n, d, d))
    KS = np.empty((d, m))
    for i in range(n):
        K = _gain(cross[i], S[i])
        _corrected(x[i], K, y[i], x_new[i])
        _product(K, S[i], KS)
        for a in range(d):
            for b in range(d):
                s = P[i, a, b]
                for c in range(m):
                    s -= KS[a, c] * K[b, c]
                P_new[i, a, b] = s
    return x_new, P_new


@compiled(types.Array(types.float64, 3, "C")(_C_MATRICES, _C_MATRICES, _C_MATRICES))
def propagated_covariance(P: np.ndarray, F: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """F P F^T + Q (N, d, d) of covariances P (N, d, d), with F and Q either one per row (N, d, d) or
    one that every row shares (1, d, d). Transition matrices are mostly zeros (an identity plus a
    few time-step entries): the products run over F's non-zero entries only."""
    n, d, _ = P.shape
    out = np.zeros((n, d, d))
    FP = np.empty((d, d))
    rows = np.empty(d * d, dtype=np.int64)
    cols = np.empty(d * d, dtype=np.int64)
    values = np.empty(d * d)
    count = 0
    for i in range(n):
        if i == 0 or len(F) > 1:
            f = F[i if len(F) > 1 else 0]
            count = 0
            for a in range(d):
                for c in range(d):
                    if f[a, c] != 0.0:
                        rows[count], cols[count], values[count] = a, c, f[a, c]
                        count += 1
        q = Q[i if len(Q) > 1 else 0]
        FP[:] = 0.0
        for k in range(count):
            for b in range(d):
                FP[rows[k], b] += values[k] * P[i, cols[k], b]
        for k in range(count):        # out[a, b] = sum over c of FP[a, c] F[b, c]
            for a in range(d):
                out[i, a, rows[k]] += FP[a, cols[k]] * values[k]
        for a in range(d):
            for b in range(d):
                out[i, a, b] += q[a, b]
    return out


@compiled(types.Tuple((types.Array(types.float64, 3, "C"), types.Array(types.float64, 3, "C")))(_MATRICES, _MATRICES))
def ekf_moments(P: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cross covariance P H^T (N, d, m) and S0 = H P H^T (N, m, m) of covariances P (N, d, d) and
    measurement Jacobians H (N, m, d)."""
    n, d, _ = P.shape
    m = H.shape[1]
    cross = np.empty((n, d, m))
    S0 = np.empty((n, m, m))
    for i in range(n):
        _product(P[i], H[i].T, cross[i])
        _product(H[i], cross[i], S0[i])
    return cross, S0


@compiled
def symmetrized_definite(P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P + P^T) / 2, and per row whether it is finite and whether it is positive definite (a
    Cholesky factorisation succeeds)."""
    n, d, _ = P.shape
    out = np.empty((n, d, d))
    finite = np.ones(n, dtype=np.bool_)
    definite = np.ones(n, dtype=np.bool_)
    L = np.empty((d, d))
    for i in range(n):
        for a in range(d):
            for b in range(d):
                v = 0.5 * (P[i, a, b] + P[i, b, a])
                out[i, a, b] = v
                if not np.isfinite(v):
                    finite[i] = False
        if not finite[i]:
            definite[i] = False
            continue
        for a in range(d):
            for b in range(a + 1):
                s = out[i, a, b]
                for c in range(b):
                    s -= L[a, c] * L[b, c]
                if a == b:
                    if s <= 0.0:
                        definite[i] = False
                        break
                    L[a, a] = np.sqrt(s)
                else:
                    L[a, b] = s / L[b, b]
            if not definite[i]:
                break
    return out, finite, definite


@compiled
def covariance_suspects(P: np.ndarray) -> np.ndarray:
    """A cheap screen (N,): covariances (N, d, d) with a non-finite entry or a non-positive variance."""
    n, d, _ = P.shape
    suspect = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        for a in range(d):
            if not P[i, a, a] > 0.0:
                suspect[i] = True
            for b in range(d):
                if not np.isfinite(P[i, a, b]):
                    suspect[i] = True
    return suspect


@compiled
def nonfinite_rows(x: np.ndarray) -> np.ndarray:
    """Rows (N,) of x (N, d) with a non-finite entry."""
    n, d = x.shape
    bad = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        for a in range(d):
            if not np.isfinite(x[i, a]):
                bad[i] = True
    return bad


def _load() -> None:
    """Load the kernels at import (fusion.core.compiled)."""
    x, P, y, S = np.zeros((1, 2)), np.eye(2)[None], np.zeros((1, 1)), np.ones((1, 1, 1))
    cross, H = np.zeros((1, 2, 1)), np.zeros((1, 1, 2))
    joseph_update(x, P, y, S, cross, H, S)
    sigma_point_update(x, P, y, S, cross)
    mahalanobis2(y, S)
    wrap_periodic(x, np.zeros(2))
    symmetrized_definite(P)
    covariance_suspects(P)
    nonfinite_rows(x)


_load()
