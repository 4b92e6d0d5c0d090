"""A class guess from a cluster box's size, for road users that a lidar clusterer can separate.

Each class has a range of length, width and height (m, box from the ground up) and a largest
clearance (gap between the ground and the cluster's lowest point: tree crowns and awnings float).
Boxes matching no range are UNKNOWN. Partial views make boxes smaller than the object, so the
lower bounds of length and width are loose. The first matching class wins.
"""
from __future__ import annotations

import numpy as np

from fusion.core.classes import ObjectClass
from sensors.lidar.box_fitting import ClusterBoxes

#                         length       width        height      clearance
SIZE_RANGES = (
    (ObjectClass.PEDESTRIAN, (0.2, 1.0), (0.2, 1.0), (1.1, 2.1), 0.5),
    (ObjectClass.BICYCLE, (1.2, 2.4), (0.2, 1.2), (0.9, 2.2), 0.5),
    (ObjectClass.CAR, (2.5, 6.0), (0.3, 2.6), (1.2, 2.3), 0.6),
    (ObjectClass.TRUCK, (5.0, 12.0), (2.0, 3.0), (2.5, 4.5), 0.8),
)


def guess_classes(boxes: ClusterBoxes, saturation_pillars: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """ObjectClass per box, and a score in (0, 1) that grows with the cluster's size
    (1 - exp(-n / saturation_pillars), n = the cluster's pillars): a box of few returns is a weak detection."""
    l, w, h = boxes.sizes.T
    classes = np.full(len(boxes), int(ObjectClass.UNKNOWN), dtype=np.int64)
    undecided = np.ones(len(boxes), dtype=bool)
    for object_class, (l0, l1), (w0, w1), (h0, h1), clearance in SIZE_RANGES:
        match = undecided & (l >= l0) & (l <= l1) & (w >= w0) & (w <= w1) & (h >= h0) & (h <= h1) & (boxes.clearance <= clearance)
        classes[match] = int(object_class)
        undecided &= ~match
    scores = 1.0 - np.exp(-boxes.pillar_counts / float(saturation_pillars))
    return classes, scores
