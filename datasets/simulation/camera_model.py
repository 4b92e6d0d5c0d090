"""Camera: the 2D boxes an image detector reports, through the calibrated pinhole projection."""
from __future__ import annotations

import numpy as np

from datasets.simulation.sensor_model import SIMULATED_CLASSES, SensorModel, confuse_classes, per_class
from datasets.simulation.sensor_view import SensorView
from datasets.simulation.visibility import visible_fraction
from datasets.simulation.world import WorldState
from fusion.config.vehicle import CameraConfig
from fusion.core.classes import ObjectClass
from fusion.core.measurements import CameraDetections
from fusion.core.transform import Transform
from sensors.camera.pinhole import PinholeCamera

MIN_IN_IMAGE_SHARE = 0.3   # a box cut by the image border must keep this share of its area
# Width / height of false-positive boxes by the class they claim.
FALSE_POSITIVE_ASPECT = per_class({ObjectClass.CAR: 1.6, ObjectClass.BICYCLE: 0.8, ObjectClass.PEDESTRIAN: 0.4})


class CameraModel(SensorModel):
    config: CameraConfig

    def __init__(self, name: str, config: CameraConfig, base_from_sensor: Transform):
        super().__init__(name, config, base_from_sensor)
        self.camera = PinholeCamera.from_config(config.intrinsics, config.frame_id)

    def true_boxes(self, view: SensorView, world: WorldState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Projected boxes clipped to the image (N, 4), the detectable mask (N,) and the visible
        fraction (N,) of every object."""
        n = len(world)
        corners = view.to_sensor(world.corners()).reshape(-1, 3)
        uv, front = self.camera.project(corners)
        uv = uv.reshape(n, 8, 2)
        raw = np.column_stack([uv[..., 0].min(1), uv[..., 1].min(1), uv[..., 0].max(1), uv[..., 1].max(1)])
        clipped = raw.copy()
        clipped[:, [0, 2]] = np.clip(raw[:, [0, 2]], 0.0, self.camera.width - 1.0)
        clipped[:, [1, 3]] = np.clip(raw[:, [1, 3]], 0.0, self.camera.height - 1.0)
        area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
        in_image = area(clipped) / np.maximum(area(raw), 1e-9)
        distance = np.linalg.norm(world.centers - view.origin, axis=1)
        visible = visible_fraction(view.origin, world, self.config.max_range_m)
        ok = (front.reshape(n, 8).all(axis=1) & (distance <= self.config.max_range_m) & (in_image >= MIN_IN_IMAGE_SHARE)
              & (clipped[:, 3] - clipped[:, 1] >= self.config.min_box_height_px) & (visible >= self.config.min_visible_fraction))
        return clipped, ok, visible

    def detectable(self, view: SensorView, world: WorldState) -> np.ndarray:
        return self.true_boxes(view, world)[1]

    def measure(self, view: SensorView, world: WorldState, rng: np.random.Generator) -> tuple[CameraDetections, np.ndarray]:
        c = self.config
        n = len(world)
        boxes, ok, visible = self.true_boxes(view, world)
        detected = ok & (rng.random(n) < c.detection_probability)
        noisy = boxes + rng.standard_normal((n, 4)) * c.box_noise_px
        classes = confuse_classes(world.classes, c.class_confusion_probability, rng)
        scores = np.clip(0.55 + 0.4 * visible + 0.05 * rng.standard_normal(n), 0.05, 0.99)

        k = rng.poisson(c.false_positives_per_frame)
        fp_classes = SIMULATED_CLASSES[rng.integers(len(SIMULATED_CLASSES), size=k)]
        height = rng.uniform(20.0, 200.0, k)
        width = height * FALSE_POSITIVE_ASPECT[fp_classes]
        u = rng.uniform(0.0, self.camera.width, k)
        v = rng.uniform(0.4, 0.75, k) * self.camera.height
        fp_boxes = np.column_stack([u - width / 2, v - height / 2, u + width / 2, v + height / 2])

        out = np.vstack([noisy[detected], fp_boxes])
        out = np.column_stack([np.minimum(out[:, 0], out[:, 2]), np.minimum(out[:, 1], out[:, 3]),
                               np.maximum(out[:, 0], out[:, 2]), np.maximum(out[:, 1], out[:, 3])])
        out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0.0, self.camera.width - 1.0)
        out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0.0, self.camera.height - 1.0)
        order = rng.permutation(len(out))
        detections = CameraDetections(
            view.stamp_ns, c.frame_id, self.name, boxes=out[order],
            classes=np.concatenate([classes[detected], fp_classes])[order],
            scores=np.concatenate([scores[detected], rng.uniform(0.1, 0.6, k)])[order])
        truth_ids = np.concatenate([world.ids[detected], np.full(k, -1, dtype=np.int64)])[order]
        return detections, truth_ids
