"""Ray / oriented-box intersection (slab method), vectorised over ray-box pairs."""
from __future__ import annotations

import numpy as np


def ray_box_entry(origins: np.ndarray, directions: np.ndarray, centers: np.ndarray, sizes: np.ndarray,
                  yaws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For P pairs of a ray (origin (P, 3), unit direction (P, 3)) and a box yawed about z (centre
    (P, 3), size l w h (P, 3), yaw (P,)): the distance along the ray where it enters the box (inf
    where it misses or the box is behind), and the cosine between the ray and the normal of the face
    it enters through (1 = head-on)."""
    c, s = np.cos(yaws), np.sin(yaws)
    rel = origins - centers
    o = np.column_stack([c * rel[:, 0] + s * rel[:, 1], -s * rel[:, 0] + c * rel[:, 1], rel[:, 2]])
    d = np.column_stack([c * directions[:, 0] + s * directions[:, 1], -s * directions[:, 0] + c * directions[:, 1], directions[:, 2]])
    half = 0.5 * sizes
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / d
        t1, t2 = (-half - o) * inv, (half - o) * inv
    t_near, t_far = np.fmin(t1, t2), np.fmax(t1, t2)
    # a ray parallel to a slab: inside it forever (nan from 0 * inf) or never
    parallel = d == 0.0
    inside_slab = np.abs(o) <= half
    t_near = np.where(parallel, np.where(inside_slab, -np.inf, np.inf), t_near)
    t_far = np.where(parallel, np.where(inside_slab, np.inf, -np.inf), t_far)
    axis = np.argmax(t_near, axis=1)
    enter, leave = t_near.max(axis=1), t_far.min(axis=1)
    hit = (leave >= enter) & (enter > 0.0)
    distance = np.where(hit, enter, np.inf)
    cosine = np.abs(d[np.arange(len(d)), axis])
    return distance, cosine
