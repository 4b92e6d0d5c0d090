"""Camera + 3D fusion: image-plane matching, camera-confirmed detections, and camera boxes that never
create 3D objects on their own."""
from __future__ import annotations

import numpy as np
import pytest

from datasets.kitti.config import ClassConfig, KittiConfig
from datasets.kitti.frames import KITTI_FRAME, R_FLU_RECT
from datasets.kitti.sequence import CAMERA_FRAME, CAMERA_SENSOR, LIDAR_FRAME, LIDAR_SENSOR
from fusion.camera_fusion.association import iou_2d, match_image_boxes
from fusion.camera_fusion.config import CameraFusionConfig
from fusion.camera_fusion.projection import project_boxes_3d
from fusion.camera_fusion.stage import CameraFusion
from fusion.core.classes import ObjectClass
from fusion.core.measurements import Boxes3D, CameraDetections
from fusion.core.transform import Transform
from sensors.camera.pinhole import PinholeCamera

CAR = int(ObjectClass.CAR)
PED = int(ObjectClass.PEDESTRIAN)


@pytest.fixture()
def camera():
    K = [721.5, 0.0, 609.6, 0.0, 721.5, 172.9, 0.0, 0.0, 1.0]
    matrix = np.eye(4)
    matrix[:3, :3] = R_FLU_RECT.T
    return PinholeCamera.from_camera_info(1242, 375, K, None, "none", CAMERA_FRAME), Transform.from_matrix(matrix)


def car_boxes(stamp_ns=0, scores=(2.0, 2.0)):
    return Boxes3D(stamp_ns=stamp_ns, frame_id=LIDAR_FRAME, sensor_id=LIDAR_SENSOR,
                   centers=[[15.0, 2.0, -0.9], [25.0, -4.0, -0.9]], sizes=[[4.0, 1.7, 1.5]] * 2, yaws=[0.0, 0.3],
                   classes=[CAR, CAR], scores=list(scores))


def test_iou_and_class_aware_matching():
    a = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [0, 0, 10, 10]], dtype=float)
    b = np.array([[0, 0, 10, 5], [21, 21, 31, 31]], dtype=float)
    np.testing.assert_allclose(iou_2d(a, b)[0], [0.5, 0.0])
    rows, cols, iou = match_image_boxes(a, np.array([CAR, CAR, PED]), np.ones(3, bool), b, np.array([PED, CAR]), 0.3)
    # box 0 is a car and may not take the pedestrian camera box; box 2 (pedestrian) takes it
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(1, 1), (2, 0)]
    rows, _, _ = match_image_boxes(a, np.array([CAR, CAR, PED]), np.array([True, False, True]), b, np.array([PED, CAR]), 0.3)
    assert 1 not in rows.tolist()  # a box not visible to the camera never matches


def test_camera_confirms_overlapping_detections_only(camera):
    cam, T = camera
    boxes = car_boxes()
    projected, visible = project_boxes_3d(cam, T, boxes.centers, boxes.sizes, boxes.yaws)
    assert visible.all()
    detections = CameraDetections(stamp_ns=0, frame_id=CAMERA_FRAME, sensor_id=CAMERA_SENSOR,
                                  boxes=[projected[0] + [3, -2, 4, 1], [10, 10, 60, 60]], classes=[CAR, CAR], scores=[0.9, 0.95])
    fusion = CameraFusion(CameraFusionConfig(confirmed_score_bonus=2.0), cam, T)
    fused, confirmed = fusion.confirm_detections(boxes, detections)
    assert confirmed.tolist() == [True, False]
    np.testing.assert_allclose(fused.scores, [2.0 + 2.0 * 0.9, 2.0])
    assert len(fused) == len(boxes)  # the unmatched camera box added nothing


def test_camera_alone_never_starts_tracks_but_keeps_them(camera):
    from datasets.kitti.pipeline import kitti_vehicle
    from datasets.kitti.calibration import KittiCalibration
    from fusion.tracking.tracker import MultiObjectTracker

    cam, T = camera
    P = np.zeros((4, 3, 4))
    P[:, :, :3] = cam.K
    calibration = KittiCalibration(P=P, R0_rect=np.eye(3), Tr_velo_to_cam=np.eye(3, 4), Tr_imu_to_velo=np.eye(3, 4))
    settings = ClassConfig()
    vehicle = kitti_vehicle(calibration, settings, KittiConfig(classes={"Car": settings}), use_camera=True)
    tracker = MultiObjectTracker(settings.tracker, vehicle, vehicle.transform_tree())
    boxes = car_boxes()
    projected, _ = project_boxes_3d(cam, T, boxes.centers, boxes.sizes, boxes.yaws)

    def camera_batch(stamp_ns):
        return CameraDetections(stamp_ns=stamp_ns, frame_id=CAMERA_FRAME, sensor_id=CAMERA_SENSOR, boxes=projected,
                                classes=[CAR, CAR], scores=[0.9, 0.9])

    for k in range(5):  # camera boxes alone: no 3D object appears
        tracker.step(camera_batch(k * 100_000_000))
    assert len(tracker.object_list(include_tentative=True)) == 0
    stamp = 500_000_000
    for k in range(3):  # lidar starts and confirms the two cars
        stamp += 100_000_000
        tracker.step(car_boxes(stamp))
        tracker.step(camera_batch(stamp))
    assert len(tracker.object_list()) == 2
    for k in range(8):  # lidar misses for 0.8 s: the camera keeps both tracks alive and hit
        stamp += 100_000_000
        tracker.step(Boxes3D(stamp_ns=stamp, frame_id=LIDAR_FRAME, sensor_id=LIDAR_SENSOR))
        tracker.step(camera_batch(stamp))
    objects = tracker.object_list()
    assert len(objects) == 2
    assert (tracker.tracks.last_hit_ns == stamp).all()
    assert KITTI_FRAME == objects.frame_id
