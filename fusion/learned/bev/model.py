"""The BEV detector network: a small convolutional backbone and CenterPoint-style heads.

Input (B, C, H, W) raster; output (B, K, H/2, W/2) with, per output cell, the class heatmap logits
then the regressions of an object centred in that cell: sub-cell offset (2), centre height z (1),
log size l w h (3), heading as sin and cos (2) and velocity over ground vx vy in base_link (2).
A single output tensor keeps the ONNX graph and the decoder simple; `split` names its parts.
"""
from __future__ import annotations

import torch
from torch import nn

from fusion.core.errors import InputError
from fusion.learned.bev.config import BevDetectorConfig
from fusion.learned.bev.raster import CHANNELS

REGRESSION = (("offset", 2), ("z", 1), ("size", 3), ("yaw", 2), ("velocity", 2))
OUTPUT_STRIDE = 2


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class BevDetectorNet(nn.Module):
    def __init__(self, config: BevDetectorConfig):
        super().__init__()
        c1, c2, c3 = config.model.channels
        self.in_channels = len(CHANNELS)
        self.grid = config.raster.shape
        self.num_classes = len(config.model.classes)
        self.stem = _block(self.in_channels, c1)
        self.down2 = nn.Sequential(_block(c1, c2, 2), _block(c2, c2))
        self.down4 = nn.Sequential(_block(c2, c3, 2), _block(c3, c3), _block(c3, c3))
        self.up = nn.Sequential(nn.ConvTranspose2d(c3, c2, 2, stride=2, bias=False), nn.BatchNorm2d(c2), nn.ReLU(inplace=True))
        self.merge = _block(2 * c2, c2)
        h = config.model.head_channels
        self.heatmap = nn.Sequential(_block(c2, h), nn.Conv2d(h, self.num_classes, 1))
        self.regression = nn.Sequential(_block(c2, h), nn.Conv2d(h, sum(n for _, n in REGRESSION), 1))
        # heatmap bias so that the initial object probability is about 1 %, as in CenterNet
        nn.init.constant_(self.heatmap[-1].bias, -4.6)

    def forward(self, raster: torch.Tensor) -> torch.Tensor:
        x2 = self.down2(self.stem(raster))
        x = self.merge(torch.cat([x2, self.up(self.down4(x2))], dim=1))
        return torch.cat([self.heatmap(x), self.regression(x)], dim=1)

    def check_input(self, raster: torch.Tensor) -> None:
        """Wrong shapes are InputErrors naming what was expected."""
        want = (self.in_channels, *self.grid)
        if raster.ndim != 4 or tuple(raster.shape[1:]) != want:
            raise InputError("BEV detector input", f"expected a raster of shape (batch, {', '.join(map(str, want))}), got {tuple(raster.shape)}")


def split(output: torch.Tensor, num_classes: int) -> dict[str, torch.Tensor]:
    """The named parts of the network output (channel slices)."""
    parts = {"heatmap": output[:, :num_classes]}
    start = num_classes
    for name, n in REGRESSION:
        parts[name] = output[:, start:start + n]
        start += n
    return parts


def build_bev_model(config: BevDetectorConfig) -> BevDetectorNet:
    return BevDetectorNet(config)
