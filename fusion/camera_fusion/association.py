"""Image-plane association: camera boxes against boxes projected from 3D (or remembered from earlier
frames), by 2D IoU, class-aware and globally optimal with scipy's linear_sum_assignment."""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def iou_2d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (Na, Nb) of image boxes x1 y1 x2 y2 (0 where a box is NaN)."""
    a, b = np.asarray(a, dtype=float).reshape(-1, 4), np.asarray(b, dtype=float).reshape(-1, 4)
    w = np.maximum(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0.0)
    h = np.maximum(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0.0)
    inter = w * h
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match_image_boxes(similarity: np.ndarray, allowed: np.ndarray, min_similarity: float
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (rows, cols, similarity) maximising the total similarity among allowed pairs with
    similarity >= min_similarity (e.g. IoU of same-class boxes)."""
    if similarity.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    score = np.where(allowed & (similarity >= min_similarity), similarity, 0.0)
    rows, cols = linear_sum_assignment(-score)
    keep = score[rows, cols] > 0.0
    return rows[keep], cols[keep], score[rows[keep], cols[keep]]
