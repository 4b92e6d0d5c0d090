"""The compiled per-track kernels against the numpy formulas they replace, and their degenerate cases
(singular innovation covariance, indefinite or non-finite covariances)."""
from __future__ import annotations

import numpy as np

from fusion.tracking.kernels import (covariance_suspects, joseph_update, mahalanobis2, nonfinite_rows, sigma_point_update,
                                     symmetrized_definite)

RNG = np.random.default_rng(11)


def _spd(k: int, n: int) -> np.ndarray:
    A = RNG.normal(size=(k, n, n))
    return A @ np.swapaxes(A, -1, -2) + n * np.eye(n)


def _case(k: int = 5, d: int = 8, m: int = 3):
    x, P = RNG.normal(size=(k, d)), _spd(k, d)
    H, R = RNG.normal(size=(k, m, d)), _spd(k, m)
    cross = P @ np.swapaxes(H, -1, -2)
    S = H @ cross + R
    return x, P, RNG.normal(size=(k, m)), S, cross, H, R


def test_gate_distance_matches_a_linear_solve_and_is_infinite_for_a_singular_covariance():
    _, _, y, S, *_ = _case()
    expected = np.einsum("ki,ki->k", y, np.linalg.solve(S, y[..., None])[..., 0])
    np.testing.assert_allclose(mahalanobis2(y, S), expected, rtol=1e-12)
    S[2] = 0.0
    d2 = mahalanobis2(y, S)
    assert np.isinf(d2[2]) and np.isfinite(np.delete(d2, 2)).all()


def test_joseph_and_unscented_updates_match_their_formulas():
    x, P, y, S, cross, H, R = _case()
    K = cross @ np.linalg.inv(S)
    I_KH = np.eye(x.shape[1]) - K @ H
    x_new, P_new = joseph_update(x, P, y, S, cross, H, R)
    np.testing.assert_allclose(x_new, x + (K @ y[..., None])[..., 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(P_new, I_KH @ P @ np.swapaxes(I_KH, -1, -2) + K @ R @ np.swapaxes(K, -1, -2),
                               rtol=1e-10, atol=1e-12)
    x_new, P_new = sigma_point_update(x, P, y, S, cross)
    np.testing.assert_allclose(P_new, P - K @ S @ np.swapaxes(K, -1, -2), rtol=1e-10, atol=1e-12)


def test_a_singular_innovation_covariance_makes_only_that_row_non_finite():
    x, P, y, S, cross, H, R = _case()
    S[1] = 0.0
    x_new, _ = joseph_update(x, P, y, S, cross, H, R)
    assert nonfinite_rows(x_new).tolist() == [False, True, False, False, False]


def test_covariance_checks_flag_non_finite_indefinite_and_non_positive_rows():
    P = _spd(4, 6)
    P[1, 0, 3] = np.nan
    P[2] = -P[2]                     # negative definite
    P[3, 0, 1] += 1.0                # asymmetric but, symmetrised, still positive definite
    sym, finite, definite = symmetrized_definite(P)
    assert finite.tolist() == [True, False, True, True] and definite.tolist() == [True, False, False, True]
    np.testing.assert_array_equal(sym[3], 0.5 * (P[3] + P[3].T))
    assert covariance_suspects(P).tolist() == [False, True, True, False]
