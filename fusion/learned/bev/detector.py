"""The trained BEV detector for inference: inputs in, Boxes3D out (middleware-free; the graph node
and `taishan eval bev` use it)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from fusion.core.measurements import Boxes3D
from fusion.core.transform import Transform
from fusion.learned.bev.config import ARCHITECTURE, KIND, BevDetectorConfig
from fusion.learned.bev.decode import DecodedBoxes, decode
from fusion.learned.bev.model import build_bev_model
from fusion.learned.bev.raster import BevInputs, rasterise
from fusion.learned.checkpoint import load_checkpoint


class BevDetector:
    def __init__(self, config: BevDetectorConfig, checkpoint: str | Path | None = None, device: str = "cpu"):
        """Loads `checkpoint` (default: config.checkpoint); its raster and model sections must equal the config's."""
        self.model, self.config = load_checkpoint(checkpoint or config.checkpoint, KIND, BevDetectorConfig, build_bev_model,
                                                  ARCHITECTURE, config)
        self.device = torch.device(device)
        self.model.to(self.device)

    def detect_rasters(self, rasters: np.ndarray) -> list[DecodedBoxes]:
        """Boxes in base_link of a batch of rasters (B, C, H, W)."""
        batch = torch.as_tensor(np.asarray(rasters, dtype=np.float32))
        self.model.check_input(batch)
        with torch.no_grad():
            return decode(self.model(batch.to(self.device)), self.config)

    def detect(self, inputs: BevInputs, stamp_ns: int, frame_id: str, sensor_id: str) -> Boxes3D:
        """Boxes3D (in base_link, named `frame_id`) of one sweep's inputs."""
        boxes = self.detect_rasters(rasterise(self.config.raster, inputs)[None])[0]
        return Boxes3D(stamp_ns, frame_id, sensor_id, centers=boxes.centers, sizes=boxes.sizes, yaws=boxes.yaws,
                       classes=boxes.classes, scores=boxes.scores, velocities=boxes.velocities)


def transform_boxes(boxes: Boxes3D, T_target_source: Transform, frame_id: str, velocity_offset: np.ndarray | None = None) -> Boxes3D:
    """Boxes moved into another frame: centres, headings about z, velocities rotated (and shifted by
    `velocity_offset` in the target frame, e.g. minus the sensor's own velocity); no velocity offset
    and no velocities: none."""
    t = T_target_source
    heading = t.rotate(np.column_stack([np.cos(boxes.yaws), np.sin(boxes.yaws), np.zeros(len(boxes))]))
    velocities = None
    if boxes.velocities is not None and velocity_offset is not None:
        velocities = t.rotate(boxes.velocities).reshape(-1, 3) + velocity_offset
    return Boxes3D(boxes.stamp_ns, frame_id, boxes.sensor_id, centers=t.apply(boxes.centers).reshape(-1, 3), sizes=boxes.sizes,
                   yaws=np.arctan2(heading[:, 1], heading[:, 0]), classes=boxes.classes, scores=boxes.scores, velocities=velocities)
