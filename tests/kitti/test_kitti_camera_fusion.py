"""Camera + 3D fusion: image-plane matching, camera-confirmed detections, and camera boxes that never
create 3D objects on their own."""
from __future__ import annotations

import numpy as np
import pytest

from datasets.kitti.config import ClassConfig, KittiConfig, OutputConfig, load_kitti_config
from datasets.kitti.frames import KITTI_FRAME, R_FLU_RECT
from datasets.kitti.layout import KittiLayout
from datasets.kitti.pipeline import image_boxes, track_sequence
from datasets.kitti.sequence import CAMERA_FRAME, CAMERA_SENSOR, LIDAR_FRAME, LIDAR_SENSOR, load_sequence
from fusion.camera_fusion.association import iou_2d, match_image_boxes
from fusion.camera_fusion.config import CameraFusionConfig
from fusion.camera_fusion.projection import project_boxes_3d
from fusion.camera_fusion.stage import CameraFusion, TrackMatches
from fusion.config.loader import config_dir
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
    iou = iou_2d(a, b)
    np.testing.assert_allclose(iou[0], [0.5, 0.0])
    same_class = np.array([CAR, CAR, PED])[:, None] == np.array([PED, CAR])[None, :]
    rows, cols, _ = match_image_boxes(iou, same_class, 0.3)
    # box 0 is a car and may not take the pedestrian camera box; box 2 (pedestrian) takes it
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(1, 1), (2, 0)]
    rows, _, _ = match_image_boxes(iou, same_class & np.array([True, False, True])[:, None], 0.3)
    assert 1 not in rows.tolist()  # a box not allowed (e.g. not visible) never matches
    assert iou_2d(np.full((1, 4), np.nan), b).tolist() == [[0.0, 0.0]]


def test_camera_confirms_overlapping_detections_only(camera):
    cam, T = camera
    boxes = car_boxes(scores=(2.0, 2.5))
    projected, visible = project_boxes_3d(cam, T, boxes.centers, boxes.sizes, boxes.yaws)
    assert visible.all()
    detections = CameraDetections(stamp_ns=0, frame_id=CAMERA_FRAME, sensor_id=CAMERA_SENSOR,
                                  boxes=[projected[0] + [3, -2, 4, 1], [10, 10, 60, 60]], classes=[CAR, CAR], scores=[0.9, 0.95])
    fusion = CameraFusion(CameraFusionConfig(confirmed_score_bonus=2.0), cam, T)
    fused = fusion.confirm_detections(boxes, detections, min_score=0.0)
    np.testing.assert_allclose(fused.scores, [2.0 + 2.0 * 0.9, 2.5])
    np.testing.assert_allclose(fusion.detection_boxes[0], detections.boxes[0])
    assert np.isnan(fusion.detection_boxes[1]).all()  # the unmatched camera box added nothing
    # the score threshold applies after the camera's bonus: only the confirmed detection passes 3.0
    fused = fusion.confirm_detections(boxes, detections, min_score=3.0)
    assert len(fused) == 1 and fused.scores[0] == pytest.approx(3.8)
    assert fusion.detection_boxes.shape == (1, 4)


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


def cars(stamp_ns, ids, positions, ages):
    """Car tracks as the tracker reports them (only what the camera stage reads is filled in)."""
    from fusion.core.objects import ObjectList

    n = len(ids)
    return ObjectList(stamp_ns=stamp_ns, frame_id=KITTI_FRAME, track_ids=np.array(ids), classes=np.full(n, CAR),
                      class_probabilities=np.zeros((n, 8)), position=np.array(positions, dtype=float),
                      velocity=np.zeros((n, 3)), acceleration=np.zeros((n, 3)), yaw=np.zeros(n), yaw_rate=np.zeros(n),
                      pose_covariance=np.zeros((n, 4, 4)), twist_covariance=np.zeros((n, 4, 4)),
                      size=np.tile([4.0, 1.7, 1.5], (n, 1)), existence_probability=np.ones(n), age_s=np.array(ages, dtype=float),
                      status=np.ones(n, dtype=np.int64), sensor_mask=np.zeros(n, dtype=np.int64))


def test_identity_cost_widens_the_gate_only_for_camera_consistent_pairs(camera):
    from fusion.camera_fusion.identity import CameraIdentityCost
    from fusion.tracking.association import Candidates

    cam, T = camera
    config = CameraFusionConfig(identity_iou=0.5, identity_veto_iou=0.1, identity_gate_probability=0.99999)
    fusion = CameraFusion(config, cam, T)
    tracks = cars(0, [7, 8, 9], [[15.0, 2.0, -0.9], [40.0, 10.0, -0.9], [25.0, -4.0, -0.9]], [1.0, 1.0, 1.0])
    projected, _ = project_boxes_3d(cam, T, tracks.position, tracks.size, tracks.yaw)
    # the camera sees tracks 7 and 9 (not 8) at 0 ns
    detections = CameraDetections(stamp_ns=0, frame_id=CAMERA_FRAME, sensor_id=CAMERA_SENSOR,
                                  boxes=projected[[0, 2]] + 2.0, classes=[CAR, CAR], scores=[0.9, 0.9])
    matches = fusion.match_tracks(tracks, detections)
    assert sorted(tracks.track_ids[matches.rows].tolist()) == [7, 9]
    assert np.isfinite(fusion.remembered(np.array([7, 9]), 100_000_000)).all()
    assert np.isnan(fusion.remembered(np.array([8]), 100_000_000)).all()
    assert np.isnan(fusion.remembered(np.array([7]), 10 * 100_000_000)).all()  # forgotten after memory_s
    # next frame: lidar detection 0 is confirmed by a camera box overlapping track 7's, detection 1 by a box elsewhere
    fusion.stamp_ns = 100_000_000
    fusion.detection_boxes = np.array([projected[0] + 5.0, [0.0, 0.0, 50.0, 50.0]])
    cost = CameraIdentityCost(fusion, config, plain_gate_probability=0.997, track_ids=lambda rows: tracks.track_ids[rows])
    d2 = np.full(4, 25.0)  # beyond the plain chi-square gate (16.3), inside the wide one (about 33)
    pairs = Candidates("lidar", np.array([0, 1, 2, 0]), np.array([0, 0, 1, 1]), np.zeros((4, 4)), np.tile(np.eye(4), (4, 1, 1)),
                       d2, np.full(4, CAR), np.full(4, CAR), np.ones(4), None)
    c = cost(pairs)
    assert c[0] < cost.unassigned_cost          # camera-consistent: associated despite the distance
    assert cost.unassigned_cost <= c[1] < np.inf  # track 8 has no camera box: held to the plain gate
    assert np.isinf(c[2]) and np.isinf(c[3])    # the camera boxes do not overlap: vetoed
    d2_near = np.full(4, 10.0)
    pairs.mahalanobis2 = d2_near
    assert cost(pairs)[1] < cost.unassigned_cost  # inside the plain gate, a pair without camera boxes still associates


def test_new_track_continuing_a_drifted_tracks_camera_box_inherits_its_id(camera):
    cam, T = camera
    fusion = CameraFusion(CameraFusionConfig(reid_iou=0.3), cam, T)
    before = cars(0, [4], [[20.0, 1.0, -0.9]], [2.0])
    box, _ = project_boxes_3d(cam, T, before.position, before.size, before.yaw)
    step = 100_000_000
    fusion.match_tracks(before, CameraDetections(stamp_ns=0, frame_id=CAMERA_FRAME, sensor_id=CAMERA_SENSOR, boxes=box,
                                                 classes=[CAR], scores=[0.9]))
    # next frame: track 4's 3D state drifted 12 m away; a new track 11 sits where the camera still sees the car
    after = cars(step, [4, 11], [[20.0, 13.0, -0.9], [19.6, 0.4, -0.9]], [2.1, 0.0])
    moved, _ = project_boxes_3d(cam, T, after.position[1:], after.size[1:], after.yaw[1:])
    detections = CameraDetections(stamp_ns=step, frame_id=CAMERA_FRAME, sensor_id=CAMERA_SENSOR, boxes=moved,
                                  classes=[CAR], scores=[0.9])
    matches = fusion.match_tracks(after, detections)
    assert after.track_ids[matches.rows].tolist() == [11]
    assert matches.retired.tolist() == [0]                      # track 4 hands over its identity and ends
    assert fusion.reported_ids(np.array([11, 4])).tolist() == [4, 4]
    # without re-identification the new track keeps its own id
    plain = CameraFusion(CameraFusionConfig(reid_iou=1.0), cam, T)
    plain.match_tracks(before, CameraDetections(stamp_ns=0, frame_id=CAMERA_FRAME, sensor_id=CAMERA_SENSOR, boxes=box,
                                                classes=[CAR], scores=[0.9]))
    assert len(plain.match_tracks(after, detections).retired) == 0
    assert plain.reported_ids(np.array([11])).tolist() == [11]


@pytest.mark.parametrize("reid_memory_s, inherits", [(0.5, True), (0.1, False)])
def test_identity_is_recovered_after_a_short_disappearance(camera, reid_memory_s, inherits):
    cam, T = camera
    fusion = CameraFusion(CameraFusionConfig(memory_s=0.1, reid_iou=0.3, reid_memory_s=reid_memory_s), cam, T)
    before = cars(0, [4], [[20.0, 1.0, -0.9]], [2.0])
    box, _ = project_boxes_3d(cam, T, before.position, before.size, before.yaw)
    fusion.match_tracks(before, CameraDetections(stamp_ns=0, frame_id=CAMERA_FRAME, sensor_id=CAMERA_SENSOR, boxes=box,
                                                 classes=[CAR], scores=[0.9]))
    # 0.3 s later (unseen by the camera in between, beyond memory_s): track 4 drifted off, a new track 11 is where
    # the camera sees the car again
    later = 300_000_000
    after = cars(later, [4, 11], [[20.0, 13.0, -0.9], [19.8, 0.8, -0.9]], [2.3, 0.0])
    assert np.isnan(fusion.remembered(np.array([4]), later)).all()
    moved, _ = project_boxes_3d(cam, T, after.position[1:], after.size[1:], after.yaw[1:])
    matches = fusion.match_tracks(after, CameraDetections(stamp_ns=later, frame_id=CAMERA_FRAME, sensor_id=CAMERA_SENSOR,
                                                          boxes=moved, classes=[CAR], scores=[0.9]))
    assert after.track_ids[matches.rows].tolist() == [11]
    assert fusion.reported_ids(np.array([11])).tolist() == ([4] if inherits else [11])
    assert matches.retired.tolist() == ([0] if inherits else [])


def test_pipeline_applies_camera_evidence_through_the_tracker_api(small_kitti):
    """Every frame's camera boxes reach the tracker as evidence (its evidence API counts them under
    the camera's id) and the sequence's rows come out in frame order with finite image boxes."""
    layout = KittiLayout(small_kitti)
    entry = next(e for e in layout.sequences() if e.name == "0011")
    sequence = load_sequence(layout, entry, ["Car"], True)
    run = track_sequence(sequence, "Car", load_kitti_config(config_dir() / "kitti.yaml"), True)
    assert run.diagnostics["processed"] == {LIDAR_SENSOR: sequence.n_frames, CAMERA_SENSOR: sequence.n_frames}
    rows = run.objects
    assert len(rows) > 0 and np.all(np.diff(rows.frames) >= 0) and rows.frames.max() < sequence.n_frames
    assert np.isfinite(rows.boxes_2d).all() and np.all((rows.scores > 0.0) & (rows.scores <= 1.0))


@pytest.mark.parametrize("exclusive, min_iou, expected_camera_rows", [(False, 0.3, [0, 1]), (True, 0.3, [0]), (True, 0.96, []),
                                                                       (False, 0.0, [0, 1, 2]), (True, 0.0, [0, 2])])
def test_reported_image_box_is_the_camera_box_only_where_it_belongs_to_the_track(exclusive, min_iou, expected_camera_rows):
    """Track 0 in front, track 1 partly hidden behind it and matched to a second (duplicate) camera box
    of the front car, track 2 matched to a camera box far from its projection. With
    camera_box_exclusive a camera box that another track's projection explains better is not
    reported for the track behind (its projected box is), so the front car's identity is not handed to it."""
    projected = np.array([[100, 100, 200, 150], [80, 98, 170, 146], [400, 100, 440, 130]], dtype=float)
    camera = np.array([[102, 100, 201, 151], [108, 99, 205, 150], [300, 100, 340, 130]], dtype=float)
    matches = TrackMatches(projected=projected, visible=np.ones(3, dtype=bool), rows=np.array([0, 1, 2]),
                           boxes=camera, retired=np.zeros(0, dtype=np.int64))
    boxes = image_boxes(matches, OutputConfig(camera_box_min_iou=min_iou, camera_box_exclusive=exclusive))
    from_camera = [k for k in range(3) if np.array_equal(boxes[k], camera[k])]
    assert from_camera == expected_camera_rows
    for k in set(range(3)) - set(expected_camera_rows):
        np.testing.assert_array_equal(boxes[k], projected[k])
    np.testing.assert_array_equal(matches.projected, projected)  # the matches are left as they were
