"""Image-plane association: camera boxes against boxes projected from 3D, by 2D IoU (class-aware,
globally optimal with scipy's linear_sum_assignment)."""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def iou_2d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (Na, Nb) of image boxes x1 y1 x2 y2."""
    a, b = np.asarray(a, dtype=float).reshape(-1, 4), np.asarray(b, dtype=float).reshape(-1, 4)
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def match_image_boxes(projected: np.ndarray, projected_classes: np.ndarray, visible: np.ndarray,
                      camera: np.ndarray, camera_classes: np.ndarray, min_iou: float
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (rows into projected, cols into camera, their IoU) maximising total IoU, each with IoU
    >= min_iou and the same class; projected boxes not `visible` never match."""
    if len(projected) == 0 or len(camera) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    iou = iou_2d(projected, camera)
    iou[~np.asarray(visible, dtype=bool)] = 0.0
    iou[np.asarray(projected_classes)[:, None] != np.asarray(camera_classes)[None, :]] = 0.0
    iou[iou < min_iou] = 0.0
    rows, cols = linear_sum_assignment(-iou)
    keep = iou[rows, cols] > 0.0
    return rows[keep], cols[keep], iou[rows[keep], cols[keep]]
