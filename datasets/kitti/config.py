"""configs/kitti.yaml: per-class tracker, sensor-noise, camera-fusion and output settings for KITTI.

The tracker section of each class is a full fusion.tracking TrackerConfig (its defaults apply to
what is left out); the vehicle (a PointRCNN "lidar" and the left colour camera) is built per
sequence from the calibration, with the noise figures given here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from datasets.kitti.frames import KITTI_FRAME
from fusion.camera_fusion.config import CameraFusionConfig
from fusion.config.loader import StrictModel, load_config
from fusion.tracking.config import TrackerConfig

Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class LidarNoise(StrictModel):
    """PointRCNN box noise and detection probability (vehicle-config figures of the 'lidar')."""

    box_center_std_m: Positive = 0.3
    box_yaw_std_deg: Positive = 10.0
    box_size_std_m: Positive = 0.2
    detection_probability: Probability = 0.9
    max_range_m: Positive = 90.0


class CameraNoise(StrictModel):
    """RRC box corner noise [px] and detection probability."""

    box_noise_px: NonNegative = 5.0
    detection_probability: Probability = 0.9
    max_range_m: Positive = 90.0


class OutputConfig(StrictModel):
    """Which tracks a frame reports (online: what the tracker knows at that frame, never back-filled).

    A confirmed track is reported while a sensor detected it within the last `max_coast_frames`
    frames (0: this frame). Its 2D box is the camera box matched to it this frame when `camera_box`
    and that box overlaps the track's projected 3D box by `camera_box_min_iou` (in a queue of cars
    one camera box can fit several tracks) and, with `camera_box_exclusive`, no other visible track's
    projected box overlaps it more (a duplicate or occluder's box matched to the track behind), else
    its 3D box projected into the image."""

    max_coast_frames: Annotated[int, Field(ge=0)] = 0
    camera_box: bool = True
    camera_box_min_iou: Probability = 0.0
    camera_box_exclusive: bool = False
    min_existence: Probability = 0.0


class ClassConfig(StrictModel):
    """`camera_mode`: how camera boxes reach the tracks (fusion.camera_fusion.stage): `evidence`
    (hits and misses in the track life cycle, state from the 3D boxes only) or `measurement` (the
    tracker's camera model also updates the state from the box centre; needs tracker.filter ekf/ukf)."""

    camera_mode: Literal["evidence", "measurement"] = "evidence"
    lidar: LidarNoise = LidarNoise()
    camera: CameraNoise = CameraNoise()
    camera_fusion: CameraFusionConfig = CameraFusionConfig()
    output: OutputConfig = OutputConfig()
    tracker: TrackerConfig = TrackerConfig(frame_id=KITTI_FRAME)


class ImageConfig(StrictModel):
    """Image size for clipping projected boxes (KITTI's colour images are about 1242 x 375)."""

    width: Annotated[int, Field(gt=0)] = 1242
    height: Annotated[int, Field(gt=0)] = 375
    camera_index: Literal[2, 3] = 2


class KittiConfig(StrictModel):
    image: ImageConfig = ImageConfig()
    classes: dict[Literal["Car", "Pedestrian", "Cyclist"], ClassConfig]

    def semantic_problems(self) -> list[tuple[str, str]]:
        return [(f"classes.{name}.tracker.frame_id", f"KITTI tracks in {KITTI_FRAME!r}, got {c.tracker.frame_id!r}")
                for name, c in self.classes.items() if c.tracker.frame_id != KITTI_FRAME]


def load_kitti_config(path: str | Path) -> KittiConfig:
    return load_config(path, KittiConfig)
