"""Track life cycle: M-of-N confirmation, coasting, deletion reasons, existence, class and size fusion."""
from __future__ import annotations

import numpy as np
import pytest

from fusion.core.classes import NUM_CLASSES, ObjectClass
from fusion.core.objects import TrackStatus
from fusion.tracking.config import ManagementConfig
from fusion.tracking.tracks import EXPIRY_REASONS, TrackLifecycle, TrackTable

NS = 1_000_000_000


def _tracks(life: TrackLifecycle, n: int, cls=ObjectClass.CAR) -> TrackTable:
    table = TrackTable.empty()
    table.append(life.new(np.arange(1, n + 1), np.full(n, int(cls)), np.ones(n, bool), 0.8, np.tile([4.0, 1.8, 1.5], (n, 1)),
                          np.full((n, 3), 0.04), 0, 0))
    return table


def test_confirmation_after_m_of_n_and_coasting():
    life = TrackLifecycle(ManagementConfig(confirm_hits=3, confirm_window=5))
    table = _tracks(life, 2)
    visible = np.ones(2, bool)
    # track 0 hit every update, track 1 hit, missed, hit
    for k, hits in enumerate([[0, 1], [0], [0, 1]]):
        life.observe(table, visible, np.array(hits), 0.9, 10.0, 0, (k + 1) * NS // 10)
        life.update_status(table)
    assert table.status.tolist() == [TrackStatus.CONFIRMED, TrackStatus.CONFIRMED]   # creation counts as a hit
    life.observe(table, visible, np.array([1]), 0.9, 10.0, 0, NS // 2)
    life.update_status(table)
    assert table.status.tolist() == [TrackStatus.COASTING, TrackStatus.CONFIRMED]
    life.observe(table, visible, np.array([0]), 0.9, 10.0, 0, 6 * NS // 10)
    life.update_status(table)
    assert table.status[0] == TrackStatus.CONFIRMED


def test_invisible_tracks_are_not_missed():
    life = TrackLifecycle(ManagementConfig())
    table = _tracks(life, 1)
    before = table.existence.copy()
    life.observe(table, np.zeros(1, bool), np.zeros(0, np.int64), 0.9, 10.0, 0, NS)
    assert table.existence[0] == before[0] and table.misses[0] == 0


def test_existence_rises_on_hits_and_falls_on_misses():
    life = TrackLifecycle(ManagementConfig(existence_initial=0.5))
    table = _tracks(life, 2)
    life.observe(table, np.ones(2, bool), np.array([0]), 0.9, 4.0, 0, NS)
    assert table.existence[0] == pytest.approx(0.8)                 # odds 1 -> 4
    assert table.existence[1] == pytest.approx(0.05 / 0.55)         # p (1 - Pd) / (1 - p Pd)
    life.predict(table, 2.0)
    assert table.existence[0] == pytest.approx(0.8 * 0.95**2)


def test_deletion_reasons():
    config = ManagementConfig(tentative_max_misses=2, max_coast_s=1.0, existence_delete=0.1, max_position_std_m=5.0)
    life = TrackLifecycle(config)
    table = _tracks(life, 4)
    table.status[1:] = TrackStatus.CONFIRMED
    table.misses[0] = 2
    table.last_hit_ns[1] = -2 * NS
    table.existence[2] = 0.05
    boxes = np.array([[0.0, 0, 0, 4, 2, 1.5, 0], [20, 0, 0, 4, 2, 1.5, 0], [40, 0, 0, 4, 2, 1.5, 0], [60, 0, 0, 4, 2, 1.5, 0]])
    reason = life.expired(table, 0, np.array([1.0, 1.0, 1.0, 6.0]), boxes)
    assert [EXPIRY_REASONS[r] for r in reason] == ["tentative_lost", "coasted_out", "low_existence", "uncertain"]
    boxes[3, :2] = boxes[2, :2] + 0.1           # the younger of two overlapping tracks, already uncertain
    table.created_ns[3] = 1
    assert life.expired(table, 0, np.array([1.0, 1.0, 1.0, 6.0]), boxes).tolist() == [0, 1, 2, 3]
    table.existence[2] = 0.5                    # the older is kept, the younger is a duplicate
    position_std = np.ones(4)
    assert life.expired(table, 0, position_std, boxes).tolist() == [0, 1, -1, EXPIRY_REASONS.index("duplicate")]


def test_the_younger_of_two_overlapping_tracks_is_a_duplicate():
    life = TrackLifecycle(ManagementConfig(duplicate_iou=0.3))
    table = _tracks(life, 4)
    table.created_ns[:] = [5, 1, 0, 0]
    boxes = np.array([[0.0, 0, 0, 4, 2, 1.5, 0], [0.5, 0.2, 0, 4, 2, 1.5, 0.1],      # one car, two tracks
                      [10.0, 0, 0, 0.7, 0.7, 1.8, 0], [10.0, 0.8, 0, 0.7, 0.7, 1.8, 0]])  # two pedestrians side by side
    assert life.duplicates(table, boxes).tolist() == [True, False, False, False]
    assert not TrackLifecycle(ManagementConfig(duplicate_iou=1.0)).duplicates(table, boxes).any()


def test_detections_inside_a_track_belong_to_it():
    life = TrackLifecycle(ManagementConfig(duplicate_iou=0.3))
    tracks = np.array([[0.0, 0, 0, 4, 2, 1.5, 0], [10.0, 0, 0, 0.7, 0.7, 1.8, 0], [1.5, 0, 0, 4, 2, 1.5, 0]])
    candidates = np.array([[0.5, 0.2, 0, 4, 2, 1.5, 0.1],        # the car again (overlaps tracks 0 and 2, more 0)
                           [10.0, 0.8, 0, 0.7, 0.7, 1.8, 0],     # a second pedestrian beside the first
                           [30.0, 0, 0, 4, 2, 1.5, 0]])
    assert life.overlapped_tracks(candidates, tracks).tolist() == [0, -1, -1]
    assert TrackLifecycle(ManagementConfig(duplicate_iou=1.0)).overlapped_tracks(candidates, tracks).tolist() == [-1] * 3
    assert life.overlapped_tracks(candidates, tracks[:0]).tolist() == [-1] * 3


def test_class_probabilities_are_fused_and_can_be_overturned():
    life = TrackLifecycle(ManagementConfig(class_forgetting=0.05))
    table = _tracks(life, 1, ObjectClass.CAR)
    assert table.classes[0] == ObjectClass.CAR
    for _ in range(6):
        life.fuse_classes(table, np.array([0]), np.array([int(ObjectClass.PEDESTRIAN)]), np.array([True]), 0.8)
    assert table.classes[0] == ObjectClass.PEDESTRIAN
    np.testing.assert_allclose(table.class_probs.sum(axis=1), 1.0)
    before = table.class_probs.copy()
    life.fuse_classes(table, np.array([0]), np.array([0]), np.array([False]), 0.8)   # unknown class: no evidence
    np.testing.assert_array_equal(table.class_probs, before)
    assert table.class_probs.shape == (1, NUM_CLASSES)


def test_sizes_are_smoothed():
    life = TrackLifecycle(ManagementConfig(size_psd=0.0))
    table = _tracks(life, 1)
    rng = np.random.default_rng(0)
    for _ in range(200):
        life.fuse_sizes(table, np.array([0]), np.array([[4.5, 1.9, 1.6]]) + rng.normal(0, 0.2, (1, 3)), np.full((1, 3), 0.04))
    np.testing.assert_allclose(table.size[0], [4.5, 1.9, 1.6], atol=0.05)
    assert np.all(table.size_var[0] < 0.001)


def test_table_keep_and_append():
    life = TrackLifecycle(ManagementConfig())
    table = _tracks(life, 3)
    table.keep(np.array([True, False, True]))
    assert table.ids.tolist() == [1, 3]
    table.append(_tracks(life, 1))
    assert len(table) == 3 and table.size.shape == (3, 3)


def test_lens_area_bounds_the_overlap_prefilter():
    from fusion.tracking.tracks import aabb_overlap, lens_area
    for d, r2, area in ((1.0, 1.0, 2 * np.pi / 3 - np.sqrt(3) / 2), (0.2, 0.5, np.pi * 0.25), (3.0, 1.0, 0.0)):
        assert lens_area(d, 1.0, r2) == pytest.approx(area)
    square = np.array([0.0, 0, 0, 2, 2, 1, 0])
    assert aabb_overlap(square, square + [1.0, 0, 0, 0, 0, 0, 0]) == pytest.approx(2.0)
    assert aabb_overlap(square, square + [0, 0, 0, 0, 0, 0, np.pi / 4]) == pytest.approx(4.0)   # the rotated one's box is larger
