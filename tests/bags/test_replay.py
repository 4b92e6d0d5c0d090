"""Replay through the node cores: deterministic, robust to damaged bags and bad messages, with
unknown topics skipped once, in parallel workers giving the same results."""
from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from datasets.bags.parallel import replay_many
from datasets.bags.reader import BagReader
from datasets.bags.replay import replay_bag
from datasets.bags.typestore import default_typestore, message_types
from datasets.bags.writer import BagWriter
from fusion.graph import topics
from fusion.messages import diagnostics, tracked_objects

TYPES = message_types()


@pytest.fixture(scope="module")
def object_level(graph_configs):
    """The graph with object-level lidar input (the simulated detector's boxes): quicker to replay."""
    return dataclasses.replace(graph_configs, graph=graph_configs.graph.model_copy(update={"lidar_input": "detections"}))


def object_list_bytes(result) -> list[bytes]:
    store = default_typestore()
    return [bytes(store.serialize_cdr(tracked_objects.from_object_list(TYPES, ol), "autoware_perception_msgs/msg/TrackedObjects"))
            for ol in result.object_lists]


def test_two_replays_give_byte_identical_object_lists_and_output_bags(sim_bag, graph_configs, tmp_path):
    first = replay_bag(sim_bag, graph_configs, out=tmp_path / "a" / "out.mcap")
    second = replay_bag(sim_bag, graph_configs, out=tmp_path / "b" / "out.mcap")   # the name is recorded inside
    assert len(first.object_lists) >= 70            # 10 Hz over 8 s
    assert any(len(ol) for ol in first.object_lists), "the tracker confirmed no track at all"
    assert object_list_bytes(first) == object_list_bytes(second)
    assert (tmp_path / "a" / "out.mcap").read_bytes() == (tmp_path / "b" / "out.mcap").read_bytes()
    with BagReader(tmp_path / "a" / "out.mcap") as out:
        assert {topics.OBJECTS, topics.OBJECTS_DETECTION3D, topics.OBJECTS_MARKERS, topics.EGO_ODOMETRY, topics.TF,
                topics.DIAGNOSTICS} <= set(out.topics)


def test_ego_rate_thins_the_odometry_to_one_per_period(sim_bag, object_level):
    thinned = dataclasses.replace(object_level, graph=object_level.graph.model_copy(update={"ego_rate_hz": 25.0}))
    result = replay_bag(sim_bag, thinned, truth=True)
    periods = np.array([o.stamp_ns for o in result.ego_estimate]) // 40_000_000   # 25 Hz; the IMU runs at 100 Hz
    assert len(periods) > 25 and np.all(np.diff(periods) == 1)   # one odometry in every period, none skipped
    assert len(result.object_lists) >= 70 and any(len(ol) for ol in result.object_lists)


def test_radar_objects_are_published_without_failures(sim_bag, object_level, tmp_path):
    configs = dataclasses.replace(object_level, graph=object_level.graph.model_copy(update={"radar_objects": True}))
    result = replay_bag(sim_bag, configs, out=tmp_path / "out.mcap")
    radars = {name: status for name, status in result.diagnostics.items() if name.startswith("radar_")}
    assert len(radars) == 3 and all(status["level"] == "OK" for status in radars.values()), radars
    with BagReader(tmp_path / "out.mcap") as bag:
        counts = {}
        for raw in bag.messages([topics.objects_topic(radar) for radar in ("radar_front", "radar_front_left", "radar_front_right")]):
            counts[raw.topic] = counts.get(raw.topic, 0) + 1
            bag.decode(raw)
    assert len(counts) == 3 and min(counts.values()) >= 100     # every scan of 8 s at 20 Hz gives a message


def test_unused_topics_are_skipped_with_one_notice_each(sim_bag, object_level):
    result = replay_bag(sim_bag, object_level)
    skipped = [n for n in result.notices if "skipping topic" in n]
    assert len(skipped) == len(set(skipped))
    assert any(topics.GROUND_TRUTH_ODOMETRY in n for n in skipped)
    assert not result.problems


def test_truncated_bag_is_replayed_up_to_the_damage(sim_bag, object_level, tmp_path):
    cut = tmp_path / "cut.mcap"
    data = sim_bag.read_bytes()
    cut.write_bytes(data[: len(data) * 3 // 4])
    result = replay_bag(cut, object_level, out=tmp_path / "out.mcap")
    assert result.problems and "damaged" in " ".join(result.problems)
    assert result.messages_used > 100 and result.object_lists
    full = replay_bag(sim_bag, object_level)
    n = len(result.object_lists)
    assert object_list_bytes(result)[: n // 2] == object_list_bytes(full)[: n // 2]
    with BagReader(tmp_path / "out.mcap") as out:
        assert len(list(out.messages([topics.OBJECTS]))) == n


def test_bad_messages_are_rejected_in_diagnostics_and_the_replay_goes_on(sim_bag, object_level, tmp_path):
    bag = tmp_path / "bad.mcap"
    imu_seen = 0
    with BagReader(sim_bag) as source, BagWriter(bag) as out:
        for i, raw in enumerate(source.messages()):
            msgdef, digest = source.definition(raw)
            data = raw.data
            if raw.topic == "/sensors/camera_front/detections" and i % 3 == 0:
                data = data[: len(data) // 2]                      # truncated CDR
            out.write_raw(raw.topic, raw.msgtype, raw.log_ns, data, msgdef, digest)
            imu_seen += raw.topic == "/sensors/imu/imu"
            if raw.topic == "/sensors/imu/imu" and imu_seen % 50 == 0:
                msg = source.decode(raw)
                msg.header.frame_id = ""                            # no frame: rejected by the decoder
                out.write("/sensors/imu/imu", msg, raw.log_ns)
    result = replay_bag(bag, object_level, out=tmp_path / "out.mcap")
    assert result.object_lists and not result.problems
    with BagReader(tmp_path / "out.mcap") as out:
        last = None
        for raw in out.messages([topics.DIAGNOSTICS]):
            last = out.decode(raw)
    statuses = {s.name: s for s in diagnostics.to_report(last).statuses}
    camera = statuses["camera_camera_front"].values
    assert int(camera["/sensors/camera_front/detections rejected"]) > 0
    assert "cannot decode" in camera["/sensors/camera_front/detections reason 1"]
    ego = statuses["ego_estimator"].values
    assert int(ego["/sensors/imu/imu rejected"]) > 0 and "frame_id is empty" in ego["/sensors/imu/imu reason 1"]


def test_workers_give_the_sequential_results_in_bag_order(sim_bag, object_level, tmp_path):
    second = tmp_path / "again.mcap"
    second.write_bytes(sim_bag.read_bytes())
    parallel = replay_many([sim_bag, second], object_level, workers=2, out=tmp_path / "outs")
    assert [r.bag for r in parallel] == [str(sim_bag), str(second)]
    assert object_list_bytes(parallel[0]) == object_list_bytes(parallel[1])
    assert sorted(p.name for p in (tmp_path / "outs").iterdir()) == ["again.mcap", "drive.mcap"]
    assert np.isfinite(parallel[0].realtime_factor)


@pytest.mark.skipif(not os.environ.get("TAISHAN_RAY_TESTS"),
                    reason="starting a local Ray instance takes ~15 s: set TAISHAN_RAY_TESTS=1 to run this test")
def test_ray_tasks_give_the_local_results(sim_bag, object_level, tmp_path):
    pytest.importorskip("ray", reason="Ray is an optional extra (pip install 'taishan[ray]')")
    short = tmp_path / "short.mcap"      # 2 s of IMU and GNSS: the point is the Ray path, not the graph
    with BagReader(sim_bag) as source, BagWriter(short) as out:
        for raw in source.messages(["/sensors/imu/imu", "/sensors/gnss/fix"]):
            if raw.log_ns - 1_700_000_000_000_000_000 > 2_000_000_000:
                break
            msgdef, digest = source.definition(raw)
            out.write_raw(raw.topic, raw.msgtype, raw.log_ns, raw.data, msgdef, digest)
    (remote,) = replay_many([short], object_level, ray_address="local")
    local = replay_bag(short, object_level)
    assert remote.messages_used == local.messages_used > 0
    assert object_list_bytes(remote) == object_list_bytes(local)
