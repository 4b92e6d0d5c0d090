"""The compiled rectangle intersection (bev_intersection) against scipy: the intersection of the eight
edge half-planes of both rectangles (HalfspaceIntersection about the Chebyshev centre from linprog,
its area from ConvexHull), for random, far-away, touching, contained, identical and degenerate pairs."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.spatial import ConvexHull, HalfspaceIntersection

from datasets.kitti.box_iou import bev_intersection
from fusion.core.boxes import box_corners


def _rectangles(centers_xy, lengths, widths, yaws) -> np.ndarray:
    n = len(lengths)
    centers = np.column_stack([centers_xy, np.zeros(n)])
    return box_corners(centers, np.column_stack([lengths, widths, np.ones(n)]), yaws)[:, :4, :2]


def _reference_area(p: np.ndarray, q: np.ndarray) -> float:
    """Area of the intersection of counter-clockwise convex polygons p, q (4, 2) by scipy."""
    corners = np.concatenate([p, q])
    edges = np.concatenate([np.roll(p, -1, axis=0) - p, np.roll(q, -1, axis=0) - q])
    normals = np.column_stack([edges[:, 1], -edges[:, 0]])             # outward for counter-clockwise polygons
    offsets = -np.sum(normals * corners, axis=1)                        # inside: normals . x + offsets <= 0
    norms = np.linalg.norm(normals, axis=1)
    centre = linprog([0.0, 0.0, -1.0], A_ub=np.column_stack([normals, norms]), b_ub=-offsets,
                     bounds=[(None, None), (None, None), (None, None)])
    if centre.x[2] <= 1e-9 * max(np.ptp(corners), 1.0):                 # no interior: touching or disjoint
        return 0.0
    vertices = HalfspaceIntersection(np.column_stack([normals, offsets]), centre.x[:2]).intersections
    return ConvexHull(vertices).volume


def test_random_rectangles_match_halfspace_intersection():
    rng = np.random.default_rng(11)
    n = 300
    for offset in (0.0, 2500.0):
        a = _rectangles(rng.uniform(-2, 2, (n, 2)) + offset, rng.uniform(0.2, 5, n), rng.uniform(0.2, 3, n),
                        rng.uniform(-4, 4, n))
        b = _rectangles(rng.uniform(-2, 2, (n, 2)) + offset, rng.uniform(0.2, 5, n), rng.uniform(0.2, 3, n),
                        rng.uniform(-4, 4, n))
        expected = np.array([_reference_area(p, q) for p, q in zip(a, b)])
        assert np.count_nonzero(expected) > n // 2 and np.count_nonzero(expected == 0) > 10
        np.testing.assert_allclose(bev_intersection(a, b), expected, rtol=1e-7, atol=1e-7)


def test_touching_contained_identical_and_degenerate_rectangles():
    yaw = np.array([0.7])
    unit = _rectangles([[0.0, 0.0]], [2.0], [1.0], yaw)
    along, across = 2.0 * np.array([np.cos(0.7), np.sin(0.7)]), np.array([-np.sin(0.7), np.cos(0.7)])
    cases = {
        "identical": (unit, 2.0),
        "same rectangle, turned half a turn": (_rectangles([[0.0, 0.0]], [2.0], [1.0], yaw + np.pi), 2.0),
        "contained": (_rectangles([[0.3, 0.1]], [0.5], [0.4], yaw + 0.3), 0.2),
        "containing": (_rectangles([[0.1, -0.2]], [6.0], [5.0], yaw - 0.5), 2.0),
        "sharing an edge": (unit + along, 0.0),
        "sharing a corner": (unit + along + across, 0.0),
        "disjoint": (unit + 3 * along, 0.0),
        "half overlapping": (unit + along / 2, 1.0),
        "a point": (_rectangles([[0.1, 0.1]], [0.0], [0.0], yaw), 0.0),
        "a segment": (_rectangles([[0.1, 0.1]], [3.0], [0.0], yaw + 0.4), 0.0),
    }
    for name, (other, area) in cases.items():
        for p, q in ((unit, other), (other, unit)):
            assert bev_intersection(p, q)[0] == pytest.approx(area, abs=1e-12), name
            if name != "a point":                                       # no edges, no half-planes
                assert _reference_area(p[0], q[0]) == pytest.approx(area, abs=1e-9), name


def test_broadcasting_and_empty_inputs():
    rng = np.random.default_rng(3)
    a = _rectangles(rng.uniform(-1, 1, (3, 2)), rng.uniform(1, 3, 3), rng.uniform(1, 2, 3), rng.uniform(-3, 3, 3))
    b = _rectangles(rng.uniform(-1, 1, (5, 2)), rng.uniform(1, 3, 5), rng.uniform(1, 2, 5), rng.uniform(-3, 3, 5))
    table = bev_intersection(a[:, None], b[None, :])
    assert table.shape == (3, 5)
    np.testing.assert_allclose(table, [[_reference_area(p, q) for q in b] for p in a], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(bev_intersection(a[0], b), table[0])
    assert bev_intersection(a[0], b[0]).shape == ()
    assert bev_intersection(a[:, None], np.zeros((1, 0, 4, 2))).shape == (3, 0)
