"""Settings of the camera + 3D fusion stage (fusion.camera_fusion.stage)."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from fusion.config.loader import StrictModel

UnitInterval = Annotated[float, Field(ge=0.0, le=1.0)]


class CameraFusionConfig(StrictModel):
    """- `min_camera_score`: camera boxes scoring below are ignored by the stage and the tracker.
    - `detection_min_iou`: 2D IoU between a 3D detection's projected box and a camera box for the
      camera to confirm that detection; a confirmed detection's score gains `confirmed_score_bonus`
      times the camera score, so the tracker's score threshold lets it start a track where the
      3D score alone would not (confidence-weighted birth backed by a second sensor).
    - `track_min_iou`: 2D IoU between a track's projected box and a camera box for the camera box
      to stand for the track in the image this frame (reported 2D box)."""

    min_camera_score: float = 0.0
    detection_min_iou: UnitInterval = 0.3
    confirmed_score_bonus: Annotated[float, Field(ge=0.0)] = 0.0
    track_min_iou: UnitInterval = 0.3
