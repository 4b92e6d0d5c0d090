"""Camera measurement model: z = the centre (u, v) of a 2D detection box, as the projection of the
track's 3D centre through the calibrated camera (a bearing in pixels).

p_c = R^T (p - t) with T_track_camera = (R, t) at the stamp (optical frame: z forward), then the
PinholeCamera projection (with its distortion); H = dproj/dp_c R^T dp/dx, where dproj is the
undistorted projection's Jacobian. Noise: each box corner carries the vehicle config's box_noise_px,
so the centre has box_noise_px^2 / 2 per axis, plus the tracker's `center_model_std_px` for the gap
between a 2D box centre and a projected 3D centre, plus (half the box size)^2 on an axis where the
box touches the image border (truncated: its centre is pulled inwards). A 2D detection has no depth, so the camera never
starts tracks; it confirms them, keeps them alive and votes on their class. The optional geometric
gate compares the detection box with the track's projected 3D box (2D IoU).
"""
from __future__ import annotations

import numpy as np

from fusion.camera_fusion.projection import project_boxes_3d
from fusion.config.vehicle import CameraConfig
from fusion.core.measurements import CameraDetections
from fusion.tracking.config import CameraTracking
from fusion.tracking.measurement import Detections, MeasurementModel, SensorPose, usable_rows
from fusion.tracking.motion import MotionModel
from sensors.camera.pinhole import PinholeCamera

_FAR_AWAY_PX = 1e9  # coarse-gate coordinate of tracks behind the camera: never near a detection


class CameraCenterModel(MeasurementModel):
    kind = "camera"
    angles = ()
    linear = False

    def __init__(self, name: str, sensor: CameraConfig, settings: CameraTracking):
        super().__init__(name, settings, sensor.detection_probability)
        self.sensor = sensor
        self.camera = PinholeCamera.from_config(sensor.intrinsics, sensor.frame_id)
        self.noise = (sensor.box_noise_px**2 / 2 + settings.center_model_std_px**2) * np.eye(2)

    @property
    def dim(self) -> int:
        return 2

    def detections(self, batch: CameraDetections, pose: SensorPose) -> Detections:
        keep, dropped = usable_rows(self.settings.min_score, batch.scores, batch.boxes)
        boxes = batch.boxes[keep]
        centres = 0.5 * (boxes[:, 0:2] + boxes[:, 2:4])
        # A box cut by the image border has its centre pulled inwards by up to half its size on that axis.
        cam = self.camera
        cut = np.column_stack([(boxes[:, 0] <= 1.0) | (boxes[:, 2] >= cam.width - 2.0),
                               (boxes[:, 1] <= 1.0) | (boxes[:, 3] >= cam.height - 2.0)])
        half = 0.5 * (boxes[:, 2:4] - boxes[:, 0:2])
        R = np.zeros((len(boxes), 2, 2))
        R[:, [0, 1], [0, 1]] = np.diag(self.noise) + np.where(cut, half**2, 0.0)
        return Detections(
            z=centres, R=R,
            classes=batch.classes[keep], scores=batch.scores[keep],
            points=centres, geometry=boxes, dropped=dropped,
        )

    def _in_camera(self, motion: MotionModel, x: np.ndarray, pose: SensorPose) -> np.ndarray:
        return (motion.position_velocity(x)[0] - pose.translation) @ pose.rotation

    def predict(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray) -> np.ndarray:
        pc = self._in_camera(motion, x, pose)
        uv, _ = self.camera.project(pc.reshape(-1, 3))
        return uv.reshape(pc.shape[:-1] + (2,))

    def jacobian(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray) -> np.ndarray:
        pc = self._in_camera(motion, x, pose)
        jp, _ = motion.position_velocity_jacobian(x)
        return self.camera.project_jacobian(pc) @ pose.rotation.T @ jp

    def visible(self, motion: MotionModel, x: np.ndarray, sizes: np.ndarray, pose: SensorPose) -> np.ndarray:
        pc = self._in_camera(motion, x, pose)
        uv, in_front = self.camera.project(pc)
        height_px = sizes[:, 2] * self.camera.K[1, 1] / np.maximum(pc[:, 2], self.camera.min_depth_m)
        return (in_front & self.camera.in_image(uv, self.settings.border_margin_px) & (height_px >= self.sensor.min_box_height_px)
                & (np.linalg.norm(pc, axis=1) <= self.sensor.max_range_m))

    def track_points(self, motion: MotionModel, x: np.ndarray, pose: SensorPose) -> np.ndarray:
        pc = self._in_camera(motion, x, pose)
        uv, in_front = self.camera.project(pc)
        return np.where(in_front[:, None], uv, _FAR_AWAY_PX)

    def track_geometry(self, motion: MotionModel, x: np.ndarray, sizes: np.ndarray, pose: SensorPose) -> np.ndarray:
        boxes, _ = project_boxes_3d(self.camera, pose.transform.inverse(), motion.position_velocity(x)[0], sizes,
                                    x[:, motion.yaw_index])
        return boxes
