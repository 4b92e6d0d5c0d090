import numpy as np
import pytest
from scipy.spatial.transform import Rotation, Slerp

from fusion.core.errors import InputError, UnknownFrameError
from fusion.core.transform import Transform
from fusion.core.transform_tree import TransformTree


def make_tree():
    tree = TransformTree()
    tree.set_static("base_link", "lidar", Transform.from_rpy([1.0, 0.0, 2.0], [0.0, 0.0, 0.1]))
    tree.set_static("base_link", "radar", Transform.from_rpy([3.5, 0.5, 0.5], [0.0, 0.0, 0.7]))
    tree.set_static("lidar", "lidar_aux", Transform.from_rpy([0.0, 0.1, 0.0], [0.1, 0.0, 0.0]))
    return tree


def test_lookup_between_siblings_composes_through_parent():
    tree = make_tree()
    t = tree.lookup("radar", "lidar_aux")
    expected = (tree.lookup("base_link", "radar").inverse() @ tree.lookup("base_link", "lidar")
                @ tree.lookup("lidar", "lidar_aux"))
    assert np.allclose(t.as_matrix(), expected.as_matrix(), atol=1e-12)
    assert np.allclose(tree.lookup("lidar_aux", "radar").as_matrix(), np.linalg.inv(t.as_matrix()), atol=1e-12)


def test_dynamic_edge_interpolates_in_time():
    tree = make_tree()
    q0 = Rotation.from_euler("z", 0.0).as_quat()
    q1 = Rotation.from_euler("z", 1.0).as_quat()
    tree.add_dynamic("map", "base_link", 2_000_000_000, Transform([10.0, 0, 0], q1))
    tree.add_dynamic("map", "base_link", 1_000_000_000, Transform([0.0, 0, 0], q0))  # out of order on purpose
    t = tree.lookup("map", "base_link", 1_250_000_000)
    assert np.allclose(t.translation, [2.5, 0, 0])
    expected = Slerp([0, 1], Rotation.from_quat([q0, q1]))([0.25]).as_matrix()[0]
    assert np.allclose(t.rotation_matrix, expected, atol=1e-12)
    # A lidar point maps into map through base_link at that stamp.
    p = tree.lookup("map", "lidar", 1_250_000_000).apply([1.0, 0.0, 0.0])
    assert np.allclose(p, t.apply(tree.lookup("base_link", "lidar").apply([1.0, 0.0, 0.0])))


def test_extrapolation_is_an_error_naming_the_edge():
    tree = make_tree()
    tree.add_dynamic("map", "base_link", 1_000_000_000, Transform.identity())
    tree.add_dynamic("map", "base_link", 2_000_000_000, Transform.identity())
    with pytest.raises(InputError, match="map -> base_link"):
        tree.lookup("map", "lidar", 3_000_000_000)


def test_unknown_and_disconnected_frames_are_named():
    tree = make_tree()
    with pytest.raises(UnknownFrameError, match="'camera'"):
        tree.lookup("base_link", "camera")
    tree.set_static("world2", "other", Transform.identity())
    with pytest.raises(UnknownFrameError, match="not connected"):
        tree.lookup("lidar", "other")


def test_reparenting_and_loops_are_rejected():
    tree = make_tree()
    with pytest.raises(InputError, match="already has parent"):
        tree.set_static("radar", "lidar", Transform.identity())
    with pytest.raises(InputError, match="loop"):
        tree.set_static("lidar_aux", "base_link", Transform.identity())


def test_buffer_drops_old_history():
    tree = TransformTree(buffer_duration_ns=1_000_000_000)
    for k in range(30):
        tree.add_dynamic("map", "base_link", k * 100_000_000, Transform([k, 0, 0], [0, 0, 0, 1]))
    assert tree.can_transform("map", "base_link", 2_500_000_000)
    assert not tree.can_transform("map", "base_link", 500_000_000)


def test_cached_routes_follow_changed_and_added_edges():
    tree = make_tree()
    before = tree.lookup("radar", "lidar_aux")
    assert tree.lookup("radar", "lidar_aux") is before                  # static route: answered from the cache
    with pytest.raises(ValueError):
        before.translation[0] = 1.0                                      # handed out read-only
    tree.set_static("base_link", "lidar", Transform.from_rpy([1.0, 0.0, 2.0], [0.0, 0.0, 0.1]))   # republished, same
    assert tree.lookup("radar", "lidar_aux") is before
    tree.set_static("base_link", "lidar", Transform.from_rpy([1.5, 0.0, 2.0], [0.0, 0.0, 0.2]))   # moved
    after = tree.lookup("radar", "lidar_aux")
    expected = (tree.lookup("base_link", "radar").inverse() @ tree.lookup("base_link", "lidar")
                @ tree.lookup("lidar", "lidar_aux"))
    assert np.allclose(after.as_matrix(), expected.as_matrix(), atol=1e-12)
    assert not np.allclose(after.translation, before.translation)
    tree.add_dynamic("map", "base_link", 1_000_000_000, Transform([5.0, 0, 0], [0, 0, 0, 1]))   # a new root above
    t = tree.lookup("map", "lidar_aux", 1_000_000_000)
    assert np.allclose(t.as_matrix(), (tree.lookup("map", "base_link", 1_000_000_000) @ tree.lookup("base_link", "lidar")
                                       @ tree.lookup("lidar", "lidar_aux")).as_matrix(), atol=1e-12)


def test_dynamic_routes_see_every_new_pose():
    tree = make_tree()
    tree.add_dynamic("map", "base_link", 0, Transform([0.0, 0, 0], [0, 0, 0, 1]))
    tree.add_dynamic("map", "base_link", 1_000_000_000, Transform([10.0, 0, 0], [0, 0, 0, 1]))
    first = tree.lookup("lidar", "map", 500_000_000)
    tree.add_dynamic("map", "base_link", 500_000_000, Transform([2.0, 0, 0], [0, 0, 0, 1]))   # a pose at that very stamp
    second = tree.lookup("lidar", "map", 500_000_000)
    assert np.allclose(first.inverse().translation - second.inverse().translation, [3.0, 0.0, 0.0])
    assert tree.lookup("lidar", "lidar") is tree.lookup("radar", "radar")            # one shared identity
    assert tree.frames == {"map", "base_link", "lidar", "radar", "lidar_aux"}
