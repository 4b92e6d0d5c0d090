"""Two-point initiation: clutter that moves from scan to scan starts no track, an object starts one on
its second scan; seeds expire, are used up once, and never confirm each other within one scan."""
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


def test_seeds_expire_and_one_scan_never_confirms_itself():
    seeds = _seeds(initiation_window_s=0.1)
    assert not seeds.confirm(np.array([[0.0, 0.0], [0.5, 0.0]]), 0).any()      # two returns of one scan
    assert not seeds.confirm(np.array([[0.2, 0.0]]), 0).any()                    # another sensor, same stamp
    assert len(seeds) == 3
    assert not seeds.confirm(np.array([[0.0, 0.0]]), 101 * MS).any()            # all three expired
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


def test_an_object_starts_one_track_on_its_second_scan(vehicle, tracker_config):
    tracker = MultiObjectTracker(_radar_only(tracker_config, "two_point"), vehicle, vehicle.transform_tree())
    for k in range(8):
        # a car 30 m ahead closing at 5 m/s: two returns a scan, 0.6 m apart
        rng = 30.0 - 5.0 * 0.05 * k
        tracker.step(RadarDetections(1_000_000_000 + k * 50 * MS, "radar_front", "radar_front",
                                     range=np.array([rng, rng + 0.6]), azimuth=np.array([0.0, 0.01]),
                                     range_rate=np.full(2, -5.0), rcs=np.full(2, 10.0)))
        if k == 0:
            assert len(tracker.tracks) == 0
    assert tracker.diagnostics()["tracks_created"] == 1
    objects = tracker.object_list()
    assert len(objects) == 1
    assert abs(objects.velocity[0, 0] + 5.0) < 1.0
