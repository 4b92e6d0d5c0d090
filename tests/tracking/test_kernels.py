"""The compiled per-track kernels against the numpy formulas they replace, and their degenerate cases
(singular innovation covariance, indefinite or non-finite covariances)."""
from __future__ import annotations

import numpy as np

from fusion.core.classes import NUM_CLASSES
from fusion.tracking.association import compatible_pairs
from fusion.tracking.kernels import (covariance_suspects, ekf_moments, gated_innovations, joseph_update, mahalanobis2,
                                     nonfinite_rows, propagated_covariance, sigma_point_update, symmetrized_definite,
                                     wrapped, wrapped_difference)

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


def test_covariance_propagation_and_measurement_moments_match_matrix_products():
    x, P, y, S, cross, H, R = _case()
    F, Q = RNG.normal(size=(8, 8)), _spd(1, 8)[0]
    F.flags.writeable = False                      # shared, read-only matrices as the motion models hand them out
    expected = F @ P @ F.T + Q
    np.testing.assert_allclose(propagated_covariance(P, F[None], Q[None]), expected, rtol=1e-12)
    per_row = np.repeat(F[None], len(P), axis=0)
    np.testing.assert_allclose(propagated_covariance(P, per_row, np.repeat(Q[None], len(P), axis=0)), expected, rtol=1e-12)
    moments_cross, S0 = ekf_moments(P, H)
    np.testing.assert_allclose(moments_cross, cross, rtol=1e-12)
    np.testing.assert_allclose(S0, H @ cross, rtol=1e-12)


def test_periodic_components_wrap_like_wrap_angle_and_others_stay():
    periods = np.array([0.0, 2 * np.pi, np.pi])
    values = RNG.uniform(-20, 20, size=(50, 3))
    out = wrapped(values, periods)
    np.testing.assert_array_equal(out[:, 0], values[:, 0])
    np.testing.assert_array_equal(out[:, 1], (values[:, 1] + np.pi) % (2 * np.pi) - np.pi)
    assert (out[:, 2] >= -np.pi / 2).all() and (out[:, 2] < np.pi / 2).all()
    np.testing.assert_allclose(np.cos(2 * out[:, 2]), np.cos(2 * values[:, 2]), atol=1e-9)
    np.testing.assert_array_equal(wrapped_difference(values[:, None], values[None, :3], periods).shape, (50, 3, 3))


def test_gated_innovations_keep_exactly_the_pairs_within_the_gate():
    k, m = 12, 3
    z, zhat = RNG.normal(size=(6, m)) * 3, RNG.normal(size=(4, m)) * 3
    R, S0 = _spd(6, m), _spd(4, m)
    detections, predictions = RNG.integers(0, 6, k), RNG.integers(0, 4, k)
    periods = np.array([0.0, 2 * np.pi, 0.0])
    residual = wrapped_difference(z[detections], zhat[predictions], periods)
    S = S0[predictions] + R[detections]
    d2 = mahalanobis2(residual, S)
    gate = float(np.median(d2))
    kept, kept_residual, kept_S, kept_d2 = gated_innovations(z, R, zhat, S0, detections, predictions, periods, gate)
    np.testing.assert_array_equal(kept, np.flatnonzero(d2 <= gate))
    np.testing.assert_array_equal(kept_residual, residual[kept])
    np.testing.assert_array_equal(kept_S, S[kept])
    np.testing.assert_array_equal(kept_d2, d2[kept])


def test_compatible_pairs_use_each_tracks_most_probable_class():
    probs = np.full((3, NUM_CLASSES), 0.01)
    probs[[0, 1, 2], [1, 7, 0]] = 0.9                   # car, pedestrian, unknown
    compatible = np.eye(NUM_CLASSES, dtype=bool)
    compatible[0, :] = True                              # an unknown detection may update any track
    tracks, detections = np.array([0, 1, 2, 0]), np.array([0, 0, 1, 1])
    detection_classes = np.array([1, 0])                 # detection 0 a car, detection 1 unknown
    t, d, track_classes, det_classes = compatible_pairs(tracks, detections, probs, detection_classes, compatible)
    assert t.tolist() == [0, 2, 0] and d.tolist() == [0, 1, 1]
    assert track_classes.tolist() == [1, 0, 1] and det_classes.tolist() == [1, 0, 0]
