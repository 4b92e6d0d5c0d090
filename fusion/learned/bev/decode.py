"""From network output to boxes: heatmap peaks (max-pool non-maximum suppression), the top scoring
cells over all classes, and their regressions turned into metric boxes in base_link."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from fusion.learned.bev.config import BevDetectorConfig
from fusion.learned.bev.model import OUTPUT_STRIDE, split


@dataclass
class DecodedBoxes:
    """One sample's boxes in base_link: centres (N, 3), sizes l w h (N, 3), yaws (N,), classes (N,)
    ObjectClass values, scores (N,) and velocities (N, 3) over ground (vz = 0)."""

    centers: np.ndarray
    sizes: np.ndarray
    yaws: np.ndarray
    classes: np.ndarray
    scores: np.ndarray
    velocities: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


def decode(output: torch.Tensor, config: BevDetectorConfig) -> list[DecodedBoxes]:
    """Boxes of every sample in a batch of network outputs (B, K, Ho, Wo)."""
    d, r = config.decode, config.raster
    classes = np.array([int(c) for c in config.model.class_values()], dtype=np.int64)
    parts = split(output.detach().float().cpu(), len(classes))
    heat = torch.sigmoid(parts["heatmap"])
    peaks = heat == F.max_pool2d(heat, d.nms_kernel, stride=1, padding=d.nms_kernel // 2)
    heat = heat * peaks
    batch, n_classes, rows, cols = heat.shape
    k = min(d.max_detections, n_classes * rows * cols)
    scores, flat = heat.reshape(batch, -1).topk(k, dim=1)
    cell = r.cell_m * OUTPUT_STRIDE
    out = []
    for b in range(batch):
        keep = scores[b] >= d.score_threshold
        index = flat[b][keep]
        cls, rest = index // (rows * cols), index % (rows * cols)
        i, j = rest // cols, rest % cols

        def at(name: str) -> np.ndarray:
            return parts[name][b][:, i, j].T.numpy().astype(float)

        offset, z, size, yaw, velocity = at("offset"), at("z"), at("size"), at("yaw"), at("velocity")
        x = r.x_min_m + (i.numpy() + offset[:, 0]) * cell
        y = r.y_min_m + (j.numpy() + offset[:, 1]) * cell
        out.append(DecodedBoxes(
            centers=np.column_stack([x, y, z[:, 0]]), sizes=np.exp(np.clip(size, -3.0, 3.5)),
            yaws=np.arctan2(yaw[:, 0], yaw[:, 1]), classes=classes[cls.numpy()],
            scores=scores[b][keep].numpy().astype(float),
            velocities=np.column_stack([velocity, np.zeros(len(velocity))])))
    return out
