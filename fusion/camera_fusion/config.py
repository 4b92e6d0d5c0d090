"""Settings of the camera + 3D fusion stage (fusion.camera_fusion.stage) and its identity cost
(fusion.camera_fusion.identity)."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from fusion.config.loader import StrictModel

UnitInterval = Annotated[float, Field(ge=0.0, le=1.0)]


class CameraFusionConfig(StrictModel):
    """- `min_camera_score`: camera boxes scoring below are ignored.
    - `detection_min_iou`: 2D IoU between a 3D detection's projected box and a camera box for the
      camera to confirm that detection; a confirmed detection's score gains `confirmed_score_bonus`
      times the camera score before the 3D score threshold is applied (confidence-weighted birth
      backed by a second sensor).
    - `track_min_iou`: 2D IoU a camera box needs with a track, measured against the track's projected
      box or its camera box of the last `memory_s` seconds, whichever is larger, to be matched.
    - identity: a (track, 3D detection) pair whose camera boxes (the track's remembered one, the
      detection's confirming one) overlap by `identity_iou` or more is camera-consistent and may
      associate up to the chi-square gate of `identity_gate_probability`; other pairs keep the
      tracker's gate; pairs whose camera boxes overlap by less than `identity_veto_iou` are not
      associated (two different objects in the image). `identity: false` leaves association alone.
    - re-identification: a track started this frame whose camera box overlaps by `reid_iou` the last
      camera box (of the last `reid_memory_s` seconds) of an older track that found no camera box this
      frame continues that track's identity (the older track's 3D state had drifted away, or the object
      was hidden for a moment); 1.0 switches this off."""

    min_camera_score: float = 0.0
    detection_min_iou: UnitInterval = 0.3
    confirmed_score_bonus: Annotated[float, Field(ge=0.0)] = 0.0
    track_min_iou: UnitInterval = 0.3
    memory_s: Annotated[float, Field(ge=0.0)] = 0.3
    identity: bool = True
    identity_iou: UnitInterval = 0.5
    identity_veto_iou: UnitInterval = 0.0
    identity_gate_probability: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.99999
    reid_iou: Annotated[float, Field(gt=0.0, le=1.0)] = 0.3
    reid_memory_s: Annotated[float, Field(ge=0.0)] = 0.3
