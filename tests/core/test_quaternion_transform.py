"""Quaternion and SE(3) maths checked against scipy.spatial.transform."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation, Slerp

from fusion.core import quaternion as quat
from fusion.core.errors import InputError
from fusion.core.transform import Transform

RNG = np.random.default_rng(7)
ROTS = Rotation.random(200, random_state=11)


def same_rotation(q_a, q_b, atol=1e-10):
    """Quaternions q and -q are the same rotation."""
    q_a, q_b = np.atleast_2d(q_a), np.atleast_2d(q_b)
    dots = np.abs(np.sum(q_a * q_b, axis=-1))
    return np.allclose(dots, 1.0, atol=atol)


def test_matrix_round_trip_matches_scipy():
    q = ROTS.as_quat()
    assert np.allclose(quat.to_matrix(q), ROTS.as_matrix(), atol=1e-12)
    assert same_rotation(quat.from_matrix(ROTS.as_matrix()), q)


def test_from_matrix_near_180_degrees_is_stable():
    rots = Rotation.from_rotvec(np.array([[np.pi - 1e-9, 0, 0], [0, np.pi, 0], [0, 0, -np.pi], [1, 1, 0]]) / [1, 1, 1])
    assert same_rotation(quat.from_matrix(rots.as_matrix()), rots.as_quat())


def test_multiply_and_rotate_match_scipy():
    a, b = ROTS[:100], ROTS[100:]
    assert same_rotation(quat.multiply(a.as_quat(), b.as_quat()), (a * b).as_quat())
    v = RNG.normal(size=(100, 3))
    assert np.allclose(quat.rotate(a.as_quat(), v), a.apply(v), atol=1e-12)
    assert np.allclose(quat.rotate(quat.conjugate(a.as_quat()), v), a.inv().apply(v), atol=1e-12)


def test_rotvec_round_trip_matches_scipy_including_small_angles():
    rv = np.vstack([ROTS.as_rotvec(), [[1e-10, 0, 0], [0, 0, 0], [0, 2e-9, -1e-9]]])
    assert same_rotation(quat.from_rotvec(rv), Rotation.from_rotvec(rv).as_quat())
    assert np.allclose(quat.to_rotvec(Rotation.from_rotvec(rv).as_quat()), rv, atol=1e-12)


def test_rpy_matches_scipy_extrinsic_xyz():
    rpy = ROTS.as_euler("xyz")
    assert same_rotation(quat.from_rpy(rpy[:, 0], rpy[:, 1], rpy[:, 2]), ROTS.as_quat())
    assert np.allclose(quat.to_rpy(ROTS.as_quat()), rpy, atol=1e-9)


def test_slerp_matches_scipy():
    key = Rotation.from_quat([ROTS[0].as_quat(), ROTS[1].as_quat()])
    slerp = Slerp([0.0, 1.0], key)
    for f in (0.0, 0.25, 0.5, 0.9, 1.0):
        assert same_rotation(quat.slerp(ROTS[0].as_quat(), ROTS[1].as_quat(), f), slerp([f]).as_quat()[0])


def test_wrap_angle():
    assert np.allclose(quat.wrap_angle(np.array([np.pi + 0.1, -np.pi - 0.1, 7.0])), [-np.pi + 0.1, np.pi - 0.1, 7.0 - 2 * np.pi])


def test_normalize_rejects_zero_quaternion():
    with pytest.raises(InputError, match="zero or non-finite"):
        quat.normalize([0, 0, 0, 0])


def random_transform(i):
    return Transform(RNG.normal(size=3) * 5, ROTS[i].as_quat())


def test_transform_compose_inverse_apply_against_matrices():
    for i in range(20):
        a, b = random_transform(i), random_transform(i + 50)
        assert np.allclose((a @ b).as_matrix(), a.as_matrix() @ b.as_matrix(), atol=1e-12)
        assert np.allclose(a.inverse().as_matrix(), np.linalg.inv(a.as_matrix()), atol=1e-12)
        p = RNG.normal(size=(5, 3))
        homogeneous = np.c_[p, np.ones(5)] @ a.as_matrix().T
        assert np.allclose(a.apply(p), homogeneous[:, :3], atol=1e-12)
        assert np.allclose(a.inverse().apply(a.apply(p)), p, atol=1e-12)
        assert np.allclose(Transform.from_matrix(a.as_matrix()).as_matrix(), a.as_matrix(), atol=1e-12)


def test_transform_interpolation_matches_scipy_slerp_and_lerp():
    a, b = random_transform(3), random_transform(4)
    mid = a.interpolate(b, 0.3)
    assert np.allclose(mid.translation, 0.7 * a.translation + 0.3 * b.translation)
    expected = Slerp([0, 1], Rotation.from_quat([a.rotation, b.rotation]))([0.3]).as_quat()[0]
    assert same_rotation(mid.rotation, expected)


def test_transform_rejects_bad_values():
    with pytest.raises(InputError, match="non-finite"):
        Transform([np.nan, 0, 0], [0, 0, 0, 1])
    with pytest.raises(InputError, match="3 values"):
        Transform([0, 0], [0, 0, 0, 1])
    with pytest.raises(InputError, match="orthonormal"):
        Transform.from_matrix(np.diag([2.0, 1, 1, 1]))


def test_transform_kernels_follow_the_quaternion_module_for_read_only_and_writable_arrays():
    for i in range(30):
        a, b = random_transform(i), random_transform(i + 100)
        fraction = RNG.uniform()
        for left in (a, a.read_only()):
            composed, inverse, middle = left @ b, left.inverse(), left.interpolate(b.read_only(), fraction)
            assert np.allclose(composed.translation, a.translation + quat.rotate(a.rotation, b.translation), atol=1e-12)
            assert np.allclose(composed.rotation, quat.normalize(quat.multiply(a.rotation, b.rotation)), atol=1e-12)
            assert np.allclose(inverse.rotation, quat.normalize(quat.conjugate(a.rotation)), atol=1e-12)
            assert np.allclose(middle.rotation, quat.slerp(a.rotation, b.rotation, fraction), atol=1e-12)
            assert np.allclose(left.rotation_matrix, quat.to_matrix(a.rotation), atol=1e-12)
            for t in (composed, inverse, middle):
                assert t.rotation[3] >= 0.0 and np.isclose(np.linalg.norm(t.rotation), 1.0, atol=1e-14)


def test_to_yaw_is_to_rpy_yaw_bit_for_bit():
    unnormalised = ROTS.as_quat() * RNG.uniform(0.5, 3.0, size=(200, 1)) * RNG.choice([-1.0, 1.0], size=(200, 1))
    for q in (unnormalised, unnormalised[7], unnormalised[:12].reshape(3, 4, 4), np.zeros((0, 4))):
        yaw = quat.to_yaw(q)
        assert yaw.shape == np.shape(q)[:-1]
        assert np.array_equal(yaw, quat.to_rpy(q)[..., 2])
    assert np.allclose(quat.to_yaw(ROTS.as_quat()), ROTS.as_euler("xyz")[:, 2], atol=1e-9)
    with pytest.raises(InputError, match="zero or non-finite"):
        quat.to_yaw([0.0, 0.0, np.nan, 1.0])
