"""Association: coarse gate, chi-square gate radius, global nearest neighbour (dense and sparse paths)
against brute force, greedy, class compatibility, geometric measures."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from fusion.core.boxes import box_corners
from fusion.core.classes import ObjectClass
from fusion.tracking import association
from fusion.tracking.association import (assign, chi_square_gate, class_compatibility, coarse_pairs, mahalanobis2,
                                         planar_gate_radius)
from fusion.tracking.config import AssociationConfig
from fusion.tracking.geometry import (convex_hull_area, pairwise_center_distance, pairwise_giou_3d, pairwise_iou_2d,
                                      pairwise_iou_3d)


def _brute_force(n, m, pairs, unassigned):
    """Minimum over all partial matchings of sum(cost - unassigned) (the GNN objective)."""
    best = 0.0
    for r in range(1, min(n, m) + 1):
        for chosen in itertools.combinations(pairs, r):
            ts = [p[0] for p in chosen]
            ds = [p[1] for p in chosen]
            if len(set(ts)) == r and len(set(ds)) == r:
                best = min(best, sum(p[2] - unassigned for p in chosen))
    return best


@pytest.mark.parametrize("dense_limit", [40_000, 0])
def test_gnn_is_optimal_on_small_problems(monkeypatch, dense_limit):
    monkeypatch.setattr(association, "_DENSE_LIMIT", dense_limit)
    rng = np.random.default_rng(1)
    for _ in range(30):
        n, m = rng.integers(1, 5), rng.integers(1, 5)
        pairs = [(i, j, float(rng.uniform(0, 12))) for i in range(n) for j in range(m) if rng.random() < 0.6]
        if not pairs:
            continue
        t, d, c = (np.array(v) for v in zip(*pairs))
        mt, md = assign(t.astype(np.int64), d.astype(np.int64), c, 9.0, "gnn")
        assert len(set(mt)) == len(mt) and len(set(md)) == len(md)
        lookup = {(i, j): cost for i, j, cost in pairs}
        total = sum(lookup[(i, j)] - 9.0 for i, j in zip(mt, md))
        assert total == pytest.approx(_brute_force(n, m, pairs, 9.0))


def test_gnn_without_conflicts_matches_every_pair_below_the_unassigned_cost_in_track_order():
    t, d, c = np.array([4, 1, 7]), np.array([0, 2, 1]), np.array([3.0, 12.0, 1.0])
    mt, md = assign(t, d, c, 10.0, "gnn")
    assert mt.tolist() == [4, 7] and md.tolist() == [0, 1]       # (1, 2) costs more than leaving both alone


def test_gnn_prefers_the_global_optimum_and_greedy_the_cheapest_pair():
    # track 0 - det 0 is cheapest, but taking it leaves track 1 without a match
    t, d, c = np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 2.0, 2.0])
    gt, gd = assign(t, d, c, 10.0, "gnn")
    assert sorted(zip(gt.tolist(), gd.tolist())) == [(0, 1), (1, 0)]
    rt, rd = assign(t, d, c, 10.0, "greedy")
    assert list(zip(rt.tolist(), rd.tolist())) == [(0, 0)]
    et, ed = assign(t, d, np.array([11.0, 12.0, 10.0]), 10.0, "gnn")   # nothing below the unassigned cost
    assert len(et) == len(ed) == 0


def test_sparse_and_dense_assignment_agree_on_a_large_problem(monkeypatch):
    rng = np.random.default_rng(3)
    tracks = rng.uniform(0, 300, (600, 2))
    dets = tracks + rng.normal(0, 0.5, tracks.shape)
    t, d = coarse_pairs(tracks, dets, 3.0)
    c = np.sum((tracks[t] - dets[d]) ** 2, axis=1) / 0.25
    dense = assign(t, d, c, 16.0, "gnn")
    monkeypatch.setattr(association, "_DENSE_LIMIT", 0)
    sparse = assign(t, d, c, 16.0, "gnn")
    cost = lambda m: sum(c[(t == i) & (d == j)][0] - 16.0 for i, j in zip(*m))  # noqa: E731
    assert cost(dense) == pytest.approx(cost(sparse))
    assert len(sparse[0]) > 550


def test_coarse_pairs_match_brute_force_with_per_track_radius():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 50, (80, 2)), rng.uniform(0, 50, (90, 2))
    r = rng.uniform(1, 6, 80)
    t, d = coarse_pairs(a, b, r)
    dist = np.linalg.norm(a[:, None] - b[None], axis=-1)
    assert set(zip(t.tolist(), d.tolist())) == set(zip(*np.nonzero(dist <= r[:, None])))
    t, d = coarse_pairs(a, b, 4.0)
    assert set(zip(t.tolist(), d.tolist())) == set(zip(*np.nonzero(dist <= 4.0)))
    assert [len(x) for x in coarse_pairs(a[:0], b, 4.0)] == [0, 0]


def test_planar_gate_radius_never_cuts_a_pair_the_chi_square_gate_keeps():
    rng = np.random.default_rng(5)
    gate = chi_square_gate(0.997, 4)
    for _ in range(200):
        A = rng.normal(size=(4, 4))
        S0 = A @ A.T + 0.1 * np.eye(4)
        R = np.diag(rng.uniform(0.01, 1.0, 4))
        y = rng.normal(size=4) * 3
        if mahalanobis2(y[None], (S0 + R)[None])[0] <= gate:
            radius = planar_gate_radius(S0[None, :2, :2], R[None, :2, :2], gate)[0]
            assert np.hypot(y[0], y[1]) <= radius + 1e-12


def test_chi_square_gate():
    assert chi_square_gate(0.99, 2) == pytest.approx(9.2103, rel=1e-4)
    assert np.isfinite(chi_square_gate(1.0, 3))


def test_class_compatibility():
    ok = class_compatibility(AssociationConfig())
    C = ObjectClass
    assert ok[C.CAR, C.TRUCK] and ok[C.BICYCLE, C.MOTORCYCLE] and ok[C.PEDESTRIAN, C.PEDESTRIAN]
    assert not ok[C.CAR, C.PEDESTRIAN] and not ok[C.PEDESTRIAN, C.BICYCLE]
    assert ok[C.UNKNOWN, C.PEDESTRIAN] and ok[C.CAR, C.UNKNOWN]
    strict = class_compatibility(AssociationConfig(class_groups={}, unknown_matches_any=False))
    assert np.array_equal(strict, np.eye(len(C), dtype=bool))


def test_geometric_measures():
    rng = np.random.default_rng(2)
    a = np.column_stack([rng.uniform(-2, 2, (50, 3)), rng.uniform(1, 5, (50, 3)), rng.uniform(-3, 3, 50)])
    b = np.column_stack([rng.uniform(-2, 2, (50, 3)), rng.uniform(1, 5, (50, 3)), rng.uniform(-3, 3, 50)])
    np.testing.assert_allclose(pairwise_iou_3d(a, a), 1.0)
    np.testing.assert_allclose(pairwise_giou_3d(a, a), 1.0)
    iou, giou = pairwise_iou_3d(a, b), pairwise_giou_3d(a, b)
    assert np.all((iou >= 0) & (iou <= 1)) and np.all(giou <= iou + 1e-12) and np.all(giou >= -1)
    # axis-aligned boxes: an exact overlap
    box = np.array([[0.0, 0, 0, 2, 2, 2, 0]])
    shifted = np.array([[1.0, 0, 0, 2, 2, 2, 0]])
    assert pairwise_iou_3d(box, shifted)[0] == pytest.approx(4 / 12)
    far = np.array([[10.0, 0, 0, 2, 2, 2, 0]])
    assert pairwise_giou_3d(box, far)[0] == pytest.approx(0 - (48 - 16) / 48)   # hull 12 x 2 m, 2 m high
    feet = lambda x: box_corners(x[:, :3], x[:, 3:6], x[:, 6])[:, :4, :2]  # noqa: E731
    hull = convex_hull_area(np.concatenate([feet(a), feet(b)], axis=1))
    np.testing.assert_allclose(hull, [ConvexHull(np.vstack([p, q])).volume for p, q in zip(feet(a), feet(b))])
    assert pairwise_center_distance(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]))[0] == 5.0
    assert pairwise_iou_2d(np.array([[0.0, 0, 2, 2]]), np.array([[1.0, 0, 3, 2]]))[0] == pytest.approx(1 / 3)


def test_pairwise_iou_3d_agrees_with_the_kitti_iou_far_from_the_origin():
    from datasets.kitti.box_iou import iou_3d

    rng = np.random.default_rng(5)
    a = np.column_stack([rng.uniform(-1, 1, (40, 3)), rng.uniform(1, 4, (40, 3)), rng.uniform(-3, 3, 40)])
    b = np.column_stack([a[:, :3] + rng.normal(0, 0.8, (40, 3)), rng.uniform(1, 4, (40, 3)), rng.uniform(-3, 3, 40)])
    iou = pairwise_iou_3d(a, b)
    assert np.count_nonzero(iou) > 20
    table = iou_3d(a[:, :3], a[:, 3:6], a[:, 6], b[:, :3], b[:, 3:6], b[:, 6])
    np.testing.assert_allclose(iou, np.diag(table), atol=1e-12)
    shift = np.array([3000.0, -2000.0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(pairwise_iou_3d(a + shift, b + shift), iou, atol=1e-9)
    above = b.copy()
    above[:, 2] = a[:, 2] + (a[:, 5] + b[:, 5]) / 2       # resting on top: footprints overlap, volumes only touch
    np.testing.assert_allclose(pairwise_iou_3d(a, above), 0.0, atol=1e-12)
