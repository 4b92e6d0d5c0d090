"""BEV detector losses: CenterNet's penalty-reduced focal loss on the heatmaps and L1 on the
regressions at object-centre cells, each normalised by the number of objects in the batch."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from fusion.learned.bev.config import LossConfig
from fusion.learned.bev.model import split


def focal_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, alpha: float = 2.0, beta: float = 4.0) -> torch.Tensor:
    """Sum over cells of the focal loss (positives where target == 1; negatives down-weighted near
    peaks by (1 - target)^beta); `weight` (B, 1, H, W) masks ignored cells."""
    log_p, log_not_p = F.logsigmoid(logits), F.logsigmoid(-logits)
    p = torch.sigmoid(logits)
    positive = target.eq(1.0).float()
    pos = -positive * (1 - p) ** alpha * log_p
    neg = -(1 - positive) * (1 - target) ** beta * p**alpha * log_not_p
    return ((pos + neg) * weight).sum()


def detection_loss(output: torch.Tensor, heatmap: torch.Tensor, heatmap_weight: torch.Tensor, regression: torch.Tensor,
                   mask: torch.Tensor, weights: LossConfig) -> tuple[torch.Tensor, dict[str, float]]:
    """Total weighted loss and its parts (floats, per object)."""
    parts = split(output, heatmap.shape[1])
    objects = mask.sum().clamp(min=1).float()
    losses = {"heatmap": focal_loss(parts["heatmap"], heatmap, heatmap_weight[:, None]) / objects}
    m = mask[:, None].float()
    start = 0
    for name in ("offset", "z", "size", "yaw", "velocity"):
        n = parts[name].shape[1]
        losses[name] = (F.l1_loss(parts[name], regression[:, start:start + n], reduction="none") * m).sum() / objects
        start += n
    total = sum(getattr(weights, name) * value for name, value in losses.items())
    return total, {name: float(value.detach()) for name, value in losses.items()}
