"""Box corners and the pinhole camera model."""
import numpy as np
import pytest

from fusion.core.boxes import box_corners, points_in_boxes
from fusion.core.errors import InputError
from sensors.camera.pinhole import PinholeCamera


def test_box_corners_rotate_with_yaw_and_contain_centre():
    corners = box_corners([[10.0, 5.0, 1.0]], [[4.0, 2.0, 1.5]], [np.pi / 2])[0]
    assert np.allclose(corners.mean(axis=0), [10.0, 5.0, 1.0])
    assert np.allclose(np.ptp(corners[:, 0]), 2.0) and np.allclose(np.ptp(corners[:, 1]), 4.0)
    inside = points_in_boxes(np.array([[10.0, 6.9, 1.0], [10.0, 7.1, 1.0], [11.1, 5.0, 1.0]]),
                             np.array([[10.0, 5.0, 1.0]]), np.array([[4.0, 2.0, 1.5]]), np.array([np.pi / 2]))
    assert inside.tolist() == [[True, False, False]]


def camera(distortion=(0, 0, 0, 0, 0)):
    return PinholeCamera.from_camera_info(1920, 1080, [1000, 0, 960, 0, 1010, 540, 0, 0, 1], list(distortion))


def test_projection_matches_the_pinhole_equation_and_round_trips():
    cam = camera()
    p = np.array([[1.0, -0.5, 10.0], [0.0, 0.0, 5.0], [1.0, 1.0, -3.0]])
    uv, front = cam.project(p)
    assert np.allclose(uv[0], [960 + 1000 * 0.1, 540 - 1010 * 0.05])
    assert front.tolist() == [True, True, False]
    rays = cam.unproject(uv[:2])
    assert np.allclose(rays * p[:2, 2:3], p[:2], atol=1e-9)


def test_distorted_round_trip_and_jacobian():
    cam = camera((-0.2, 0.05, 0.001, -0.001, 0.0))
    p = np.array([[2.0, 1.0, 8.0], [-3.0, 0.5, 12.0]])
    uv, _ = cam.project(p)
    assert np.allclose(cam.unproject(uv) * p[:, 2:3], p, atol=1e-6)
    flat = camera()
    eps = 1e-6
    J = flat.project_jacobian(p)
    for k in range(3):
        dp = np.zeros(3)
        dp[k] = eps
        numeric = (flat.project(p + dp)[0] - flat.project(p - dp)[0]) / (2 * eps)
        assert np.allclose(J[:, :, k], numeric, atol=1e-4)


def test_degenerate_camera_info_is_rejected():
    with pytest.raises(InputError, match="all-zero K"):
        PinholeCamera.from_camera_info(640, 480, [0] * 9, None, frame_id="cam")
    with pytest.raises(InputError, match="empty"):
        PinholeCamera.from_camera_info(0, 480, [500, 0, 320, 0, 500, 240, 0, 0, 1], None)
