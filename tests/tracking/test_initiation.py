"""Two-point initiation: clutter that moves from scan to scan starts no track; an object starts one on
its second scan, or at once when it gives two close returns; seeds expire and are used up once."""
from __future__ import annotations

import numpy as np

from fusion.core.measurements import RadarDetections
from fusion.tracking.config import RadarTracking
from fusion.tracking.initiation import TwoPointInitiation
from fusion.tracking.tracker import MultiObjectTracker

MS = 1_000_000


def _seeds(**settings) -> TwoPointInitiation:
    return TwoPointInitiation(RadarTracking(**settings))


def test_a_return_near_an_earlier_one_confirms_it_and_uses_it_up():
    seeds = _seeds(initiation_radius_m=2.0, initiation_speed_mps=20.0, initiation_window_s=0.15)
    assert not seeds.confirm(np.array([[10.0, 0.0], [30.0, 5.0]]), 0).any()
    assert len(seeds) == 2
    # 50 ms later: reach 2 + 20 * 0.05 = 3 m; 2.9 m away confirms, 3.1 m away does not
    confirmed = seeds.confirm(np.array([[12.9, 0.0], [30.0, 8.1]]), 50 * MS)
    assert confirmed.tolist() == [True, False]
    # the used seed is gone; the unconfirmed return waits as a seed itself
    np.testing.assert_allclose(seeds.points, [[30.0, 5.0], [30.0, 8.1]])
    assert not seeds.confirm(np.array([[10.0, 0.0]]), 60 * MS).any()


def test_seeds_expire_and_close_returns_of_one_scan_confirm_each_other():
    seeds = _seeds(initiation_window_s=0.1, initiation_radius_m=1.0)
    assert seeds.confirm(np.array([[0.0, 0.0], [0.5, 0.0], [5.0, 0.0]]), 0).tolist() == [True, True, False]
    assert not seeds.confirm(np.array([[5.5, 0.0]]), 0).any()                  # another sensor, same stamp
    np.testing.assert_allclose(seeds.points, [[5.0, 0.0], [5.5, 0.0]])
    assert not seeds.confirm(np.array([[5.0, 0.0]]), 101 * MS).any()            # both expired
    assert len(seeds) == 1
    assert seeds.confirm(np.zeros((0, 2)), 150 * MS).shape == (0,)


def _radar_only(tracker_config, initiation: str):
    return tracker_config(frame_id="base_link", sensors={"lidar": {"enabled": False}, "camera": {"enabled": False},
                                                          "radar": {"initiation": initiation}})


def test_radar_clutter_starts_tracks_only_with_single_initiation(vehicle, tracker_config):
    rng = np.random.default_rng(3)
    created = {}
    for initiation in ("single", "two_point"):
        tracker = MultiObjectTracker(_radar_only(tracker_config, initiation), vehicle, vehicle.transform_tree())
        for k in range(20):
            n = 3   # static clutter at new places every scan, seen from a standing vehicle
            tracker.step(RadarDetections(1_000_000_000 + k * 50 * MS, "radar_front", "radar_front",
                                         range=150.0 * np.sqrt(rng.uniform(0.01, 1.0, n)), azimuth=rng.uniform(-0.7, 0.7, n),
                                         range_rate=np.zeros(n), rcs=np.full(n, 10.0)))
        created[initiation] = tracker.diagnostics()["tracks_created"]
    assert created["single"] >= 45
    assert created["two_point"] <= created["single"] / 10


def test_an_object_starts_one_track_on_its_second_scan_or_at_once_with_two_returns(vehicle, tracker_config):
    for offsets, first_scan_with_track in (([0.0], 1), ([0.0, 0.6], 0)):
        tracker = MultiObjectTracker(_radar_only(tracker_config, "two_point"), vehicle, vehicle.transform_tree())
        for k in range(8):
            # a car 30 m ahead closing at 5 m/s: one return a scan, or two 0.6 m apart
            rng = 30.0 - 5.0 * 0.05 * k + np.array(offsets)
            tracker.step(RadarDetections(1_000_000_000 + k * 50 * MS, "radar_front", "radar_front",
                                         range=rng, azimuth=np.full(len(rng), 0.01), range_rate=np.full(len(rng), -5.0),
                                         rcs=np.full(len(rng), 10.0)))
            assert (len(tracker.tracks) > 0) == (k >= first_scan_with_track)
        assert tracker.diagnostics()["tracks_created"] == 1
        objects = tracker.object_list()
        assert len(objects) == 1
        assert abs(objects.velocity[0, 0] + 5.0) < 1.0
