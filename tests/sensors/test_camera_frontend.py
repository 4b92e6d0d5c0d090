"""Camera: projection numerics (incl. the real VoD calibration), CameraInfo and Detection2DArray
messages, a PyTorch detector from a local checkpoint, and frustum association."""
from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest

from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import Boxes3D, CameraDetections
from fusion.core.transform import Transform
from fusion.messages import camera_info, detection2d
from sensors.camera.frustum import LIDAR, RADAR, associate
from sensors.camera.pinhole import PinholeCamera
from sensors.radar.cartesian import radar_detections_from_points

K = [800.0, 0.0, 640.0, 0.0, 810.0, 360.0, 0.0, 0.0, 1.0]
HEADER = SimpleNamespace(stamp=SimpleNamespace(sec=1, nanosec=0), frame_id="camera_front_optical")


def _info(**changes) -> SimpleNamespace:
    msg = SimpleNamespace(header=HEADER, width=1280, height=720, distortion_model="plumb_bob",
                          d=[-0.3, 0.1, 0.001, -0.002, 0.0], k=K, p=[700.0, 0, 600.0, 0, 0, 700.0, 350.0, 0, 0, 0, 1, 0])
    for key, value in changes.items():
        setattr(msg, key, value)
    return msg


def test_project_unproject_round_trip_with_plumb_bob_distortion():
    camera = camera_info.to_camera(_info())
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(-4, 4, 50), rng.uniform(-2, 2, 50), rng.uniform(5, 40, 50)])
    uv, front = camera.project(points)
    assert front.all()
    rays = camera.unproject(uv)
    np.testing.assert_allclose(rays * points[:, 2:3], points, atol=1e-6)
    # a point on the optical axis lands on the principal point; distortion moves off-axis points inwards (k1 < 0)
    np.testing.assert_allclose(camera.project([[0.0, 0.0, 10.0]])[0][0], [640.0, 360.0])
    undistorted = PinholeCamera.from_camera_info(1280, 720, K, None, "none")
    assert abs(camera.project([[3.0, 0, 10.0]])[0][0, 0] - 640) < abs(undistorted.project([[3.0, 0, 10.0]])[0][0, 0] - 640)


def test_camera_info_rectified_uses_p_and_bad_infos_are_errors():
    rectified = camera_info.to_camera(_info(), rectified=True)
    np.testing.assert_allclose(rectified.K, [[700, 0, 600], [0, 700, 350], [0, 0, 1]])
    assert not rectified.has_distortion
    with pytest.raises(InputError, match=r"CameraInfo on '/cam/info' \(frame 'camera_front_optical'\).*all-zero K"):
        camera_info.to_camera(_info(k=[0.0] * 9), topic="/cam/info")
    with pytest.raises(InputError, match="image size 0x0 is empty"):
        camera_info.to_camera(_info(width=0, height=0))
    with pytest.raises(InputError, match=r"CameraInfo on '/cam/info': header.frame_id is empty"):
        camera_info.to_camera(_info(header=SimpleNamespace(stamp=HEADER.stamp, frame_id="")), topic="/cam/info")


def test_vod_calibration_projects_a_lidar_point_like_the_kitti_formula(vod_root):
    from datasets.vod import VodFrame, read_calibration_values

    frame = VodFrame(vod_root, "01047")
    calib = read_calibration_values(vod_root / "lidar" / "training" / "calib" / "01047.txt")
    P2, Tr = calib["P2"].reshape(3, 4), calib["Tr_velo_to_cam"].reshape(3, 4)
    point = np.array([12.0, -2.5, -0.8])                       # a lidar point ahead, right, below the sensor
    homogeneous = P2 @ np.vstack([Tr, [0, 0, 0, 1]]) @ np.append(point, 1.0)
    uv, front = frame.camera.project(frame.T_camera_lidar.apply(point))
    assert front[0]
    np.testing.assert_allclose(uv[0], homogeneous[:2] / homogeneous[2], atol=1e-3)
    # The labelled car's 3D centre projects inside its labelled 2D box.
    car = frame.labels.names.index("Car")
    center_camera = frame.T_camera_lidar.apply(frame.labels.boxes_in(frame.T_camera_lidar.inverse())[0][car])
    (u, v), = frame.camera.project(center_camera)[0]
    x1, y1, x2, y2 = frame.labels.boxes_2d[car]
    assert x1 < u < x2 and y1 < v < y2


def _detection(cx, cy, w, h, class_id, score, theta=0.0, new_style=True):
    if new_style:
        centre = SimpleNamespace(position=SimpleNamespace(x=cx, y=cy), theta=theta)
        results = [SimpleNamespace(hypothesis=SimpleNamespace(class_id=class_id, score=score), pose=None),
                   SimpleNamespace(hypothesis=SimpleNamespace(class_id="bicycle", score=score / 2), pose=None)]
    else:
        centre = SimpleNamespace(x=cx, y=cy, theta=theta)
        results = [SimpleNamespace(id=class_id, score=score)]
    return SimpleNamespace(header=HEADER, results=results, bbox=SimpleNamespace(center=centre, size_x=w, size_y=h), id="")


def test_detection2d_array_both_message_generations_and_skipped_classes():
    msg = SimpleNamespace(header=HEADER, detections=[
        _detection(100, 200, 40, 80, "person", 0.9),
        _detection(300, 300, 100, 50, "1", 0.8, new_style=False),                       # ObjectClass value as id
        _detection(500, 100, 20, 10, "traffic light", 0.99),
        _detection(600, 400, 40, 20, "car", 0.7, theta=np.pi / 2),                     # rotated a quarter turn
    ])
    detections, skipped = detection2d.to_camera_detections(msg, "camera_front", topic="/detections")
    assert skipped == Counter({"traffic light": 1})
    np.testing.assert_array_equal(detections.classes, [ObjectClass.PEDESTRIAN, ObjectClass.CAR, ObjectClass.CAR])
    np.testing.assert_allclose(detections.scores, [0.9, 0.8, 0.7])
    np.testing.assert_allclose(detections.boxes, [[80, 160, 120, 240], [250, 275, 350, 325], [590, 380, 610, 420]], atol=1e-9)
    bad = SimpleNamespace(header=HEADER, detections=[_detection(float("nan"), 0, 1, 1, "car", 1.0)])
    with pytest.raises(InputError, match="Detection2DArray on '/detections'.*detection 0 has a non-finite"):
        detection2d.to_camera_detections(bad, "camera_front", topic="/detections")


def _tiny_detector_model():
    """A real (if tiny) detection network: a 1x1 convolution scores each pixel as 'bright'; the
    box around the pixels scoring above 0.5 is one detection of class 0."""
    import torch

    class BrightBlob(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.score = torch.nn.Conv2d(3, 1, kernel_size=1)

        def forward(self, images):
            outputs = []
            for image in images:
                heat = torch.sigmoid(self.score(image[None]))[0, 0]
                ys, xs = torch.nonzero(heat > 0.5, as_tuple=True)
                if len(xs) == 0:
                    outputs.append({"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64), "scores": torch.zeros(0)})
                    continue
                box = torch.stack([xs.min(), ys.min(), xs.max(), ys.max()]).float()[None]
                outputs.append({"boxes": box, "labels": torch.zeros(1, dtype=torch.int64), "scores": heat.max()[None]})
            return outputs

    return BrightBlob()


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_torch_detector_from_a_local_checkpoint(tmp_path, suffix):
    import torch

    from sensors.camera.torch_detector import TorchImageDetector

    trained = _tiny_detector_model()
    with torch.no_grad():
        trained.score.weight.fill_(10.0)          # "training": bright pixels (sum of channels > 1.5) score high
        trained.score.bias.fill_(-15.0)
    path = tmp_path / f"bright{suffix}"
    if suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(trained.state_dict(), str(path))
    else:
        torch.save({"state_dict": trained.state_dict()}, path)
    detector = TorchImageDetector.from_checkpoint(path, _tiny_detector_model, [ObjectClass.PEDESTRIAN], score_threshold=0.5)
    image = np.zeros((48, 64, 3), dtype=np.uint8)
    image[10:30, 20:26] = 255
    detections = detector.detect(image, 5, "camera_front_optical", "camera_front")
    np.testing.assert_array_equal(detections.boxes, [[20, 10, 25, 29]])
    np.testing.assert_array_equal(detections.classes, [ObjectClass.PEDESTRIAN])
    assert len(detector.detect(np.zeros((48, 64, 3), np.uint8), 6, "camera_front_optical", "camera_front")) == 0
    with pytest.raises(InputError, match="zero size"):
        detector.detect(np.zeros((0, 64, 3), np.uint8), 7, "camera_front_optical", "camera_front")
    with pytest.raises(InputError, match="does not fit the model"):
        TorchImageDetector.from_checkpoint(path, lambda: torch.nn.Linear(2, 2), [ObjectClass.CAR])


def test_frustum_association_takes_class_from_camera_and_range_from_lidar_or_radar():
    """Camera looking along the lidar's x axis; a car at 20 m seen by lidar and radar, a pedestrian
    at 12 m seen by radar only, and a camera box with nothing in its frustum."""
    camera = PinholeCamera.from_camera_info(1280, 720, K, None, "none", "camera")
    T_camera_lidar = Transform.from_rpy([0, 0, 0], [-np.pi / 2, 0, -np.pi / 2]).inverse()   # optical <- x forward
    T_lidar_radar = Transform.from_rpy([1.0, 0.0, -0.5], [0, 0, 0])
    car = Boxes3D(0, "lidar", "lidar", centers=[[20.0, 2.0, 0.0], [20.0, -8.0, 0.0]], sizes=[[4.5, 1.8, 1.5], [1, 1, 1]],
                  yaws=[0.0, 0.0], classes=[0, 0])
    pedestrian_lidar = np.array([12.0, -3.0, 0.0])

    def box_of(center, size):
        corners = np.array([[dx, dy, dz] for dx in (-1, 1) for dy in (-1, 1) for dz in (-1, 1)]) * np.asarray(size) / 2 + center
        return camera.project_boxes(T_camera_lidar.apply(corners)[None])[0][0]

    cam = CameraDetections(0, "camera", "camera", boxes=[box_of([20.0, 2.0, 0.0], [4.5, 1.8, 1.5]),
                                                         box_of(pedestrian_lidar, [0.6, 0.6, 1.7]), [1000, 100, 1100, 200]],
                           classes=[ObjectClass.CAR, ObjectClass.PEDESTRIAN, ObjectClass.CAR])
    radar_points = T_lidar_radar.inverse().apply(np.array([[18.9, 2.0, 0.0], [12.0, -3.0, 0.2], [12.1, -3.05, -0.1], [40.0, -3.0, 0.0]]))
    radar = radar_detections_from_points(radar_points, np.zeros(4), np.zeros(4), 0, "radar", "radar")
    fused = associate(cam, camera, T_camera_lidar, car, radar, np.array([0.3, 1.2, 1.4, 0.0]), T_lidar_radar)
    assert fused.camera_index.tolist() == [0, 1]                        # the empty frustum gets no range
    np.testing.assert_array_equal(fused.classes, [ObjectClass.CAR, ObjectClass.PEDESTRIAN])
    np.testing.assert_array_equal(fused.range_source, [LIDAR, RADAR])
    np.testing.assert_allclose(fused.centers[0], [20.0, 2.0, 0.0])
    assert fused.lidar_index.tolist() == [0, -1]
    np.testing.assert_allclose(fused.sizes[0], [4.5, 1.8, 1.5])
    assert fused.radar_count.tolist() == [1, 2]                        # the return at 40 m is behind the pedestrian
    np.testing.assert_allclose(fused.radial_velocity, [0.3, 1.3])
    assert np.linalg.norm(fused.centers[1, :2] - pedestrian_lidar[:2]) < 0.3
    with pytest.raises(InputError, match="compensated radial velocities"):
        associate(cam, camera, T_camera_lidar, car, radar)
