"""The View-of-Delft reader: KITTI camera-frame labels to boxes in REP 103 sensor frames."""
from __future__ import annotations

import numpy as np
import pytest

from fusion.core.boxes import points_in_boxes
from fusion.core.errors import InputError
from fusion.core.transform import Transform
from datasets.vod import VodFrame, load_frames, read_labels

# lidar frame (x forward, y left, z up) <- camera frame (x right, y down, z forward)
T_LIDAR_CAMERA = Transform.from_matrix(np.array([[0.0, 0, 1, 0], [-1, 0, 0, 0], [0, -1, 0, 0]]))


def test_kitti_label_bottom_centre_and_rotation_y_become_volume_centre_and_yaw(tmp_path):
    path = tmp_path / "label.txt"
    path.write_text("Car 0 1 0.0 10 20 30 40 1.5 1.8 4.0 2.0 1.5 10.0 0.0 1\n"
                    "Pedestrian 1 0 0.0 0 0 1 1 1.7 0.6 0.5 -1.0 1.6 8.0 1.5707963267948966 1\n\n")
    labels = read_labels(path)
    assert labels.names == ["Car", "Pedestrian"] and labels.moving.tolist() == [False, True]
    centers, sizes, yaws = labels.boxes_in(T_LIDAR_CAMERA)
    # bottom centre 1.5 m below the camera axis, 2 m right, 10 m ahead; volume centre h/2 higher
    np.testing.assert_allclose(centers[0], [10.0, -2.0, -1.5 + 0.75])
    np.testing.assert_allclose(sizes[0], [4.0, 1.8, 1.5])
    assert yaws[0] == pytest.approx(-np.pi / 2)          # ry = 0 heads along camera x = lidar -y
    assert abs(abs(yaws[1]) - np.pi) < 1e-9              # ry = pi/2 heads along camera -z = lidar -x
    np.testing.assert_allclose(labels.boxes_2d[0], [10, 20, 30, 40])


def test_malformed_label_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("Car 0 1 0.0 10 20 30 40 1.5 1.8 4.0 2.0 1.5 10.0 0.0 1\nCar 0 1 oops\n")
    with pytest.raises(InputError, match=r"bad.txt:2.*15 columns"):
        read_labels(path)


def test_real_labels_sit_on_the_lidar_points_with_the_right_heading(vod_root):
    for frame in load_frames(vod_root):
        centers, sizes, yaws = frame.labels.boxes_in(frame.T_camera_lidar.inverse())
        people = [i for i, n in enumerate(frame.labels.names) if n in ("Car", "Pedestrian", "Cyclist")]
        inside = points_in_boxes(frame.lidar[:, :3], centers[people], sizes[people], yaws[people]).sum(axis=1)
        near = np.linalg.norm(centers[people, :2], axis=1) < 40
        assert np.all(inside[near] >= 10), (frame.frame, inside)
    frame = VodFrame(vod_root, "01047")
    car = frame.labels.names.index("Car")
    centers, sizes, yaws = frame.labels.boxes_in(frame.T_camera_lidar.inverse())
    right = points_in_boxes(frame.lidar[:, :3], centers[[car]], sizes[[car]], yaws[[car]]).sum()
    turned = points_in_boxes(frame.lidar[:, :3], centers[[car]], sizes[[car]], yaws[[car]] + np.pi / 2).sum()
    assert right > 3 * turned


def test_real_frame_files_and_errors(vod_root):
    frame = VodFrame(vod_root, "00549")
    assert frame.lidar.shape[1] == 4 and frame.radar.shape[1] == 7
    assert (frame.camera.width, frame.camera.height) == (1936, 1216)
    assert set(frame.poses) == {"odomToCamera", "mapToCamera", "UTMToCamera"}
    # radar sits in the front bumper: ahead of and below the roof lidar
    assert frame.T_lidar_radar.translation[0] > 1.5 and frame.T_lidar_radar.translation[2] < -0.5
    detections = frame.radar_detections()
    np.testing.assert_allclose(detections.to_cartesian(), frame.radar[:, :3], atol=1e-4)
    with pytest.raises(InputError, match="no frame '99999' \\(frames there: 00549, 01047, 01201\\)"):
        VodFrame(vod_root, "99999")
    with pytest.raises(InputError, match="no frames found"):
        load_frames(vod_root / "lidar")
