"""Bag writing and reading: storages, atomic output, metadata that Humble and Jazzy read, ROS 1
input, and damaged bags replayed up to the damage."""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest
import yaml
from mcap.reader import make_reader

from datasets.bags.reader import BagReader
from datasets.bags.writer import METADATA_VERSION, BagWriter
from fusion.core.errors import InputError, TaishanError
from fusion.core.measurements import ImuSample
from fusion.messages import imu

N = 6000   # more than one 1 MiB mcap chunk, so a cut file still holds whole chunks


def _imu(types, i: int):
    sample = ImuSample(1_000_000_000 + i * 10_000_000, "imu_link", "imu", angular_velocity=[0.0, 0.0, 0.1],
                       linear_acceleration=[0.0, 0.0, float(i)])
    return imu.from_imu_sample(types, sample, 1e-6, 1e-4)


def _write(path, n: int = N, **kwargs):
    with BagWriter(path, **kwargs) as bag:
        for i in range(n):
            bag.write("/sensors/imu/imu", _imu(bag.types, i), 1_000_000_000 + i * 10_000_000 + 5_000_000)
    return path


@pytest.mark.parametrize("name", ["drive.mcap", "drive.db3", "drive_dir"])
def test_round_trip_in_every_layout(tmp_path, name):
    path = _write(tmp_path / name, storage="sqlite3" if name == "drive_dir" else "mcap")
    assert [p.name for p in tmp_path.iterdir()] == [name], "temporary files left behind"
    with BagReader(path) as bag:
        msgs = list(bag.messages())
        assert bag.topics == {"/sensors/imu/imu": "sensor_msgs/msg/Imu"}
        assert not bag.problems
    assert len(msgs) == N
    assert [m.log_ns for m in msgs] == sorted(m.log_ns for m in msgs)
    last = imu.to_imu_sample(BagReader(path).__enter__().decode(msgs[-1]), "imu")
    assert last.linear_acceleration[2] == N - 1 and last.stamp_ns == 1_000_000_000 + (N - 1) * 10_000_000


def test_metadata_is_version_8_with_what_humble_and_jazzy_read(tmp_path):
    path = _write(tmp_path / "dir_bag", n=10)
    info = yaml.safe_load((path / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    assert info["version"] == METADATA_VERSION == 8
    # Humble decodes these keys (version >= 5); Jazzy adds custom_data (>= 6), type hashes (>= 7), ros_distro (>= 8).
    for key in ("storage_identifier", "duration", "starting_time", "message_count", "topics_with_message_count",
                "compression_format", "compression_mode", "relative_file_paths", "files", "ros_distro"):
        assert key in info, key
    assert info["storage_identifier"] == "mcap" and info["message_count"] == 10
    assert all((path / f).exists() for f in info["relative_file_paths"])
    topic = info["topics_with_message_count"][0]
    meta = topic["topic_metadata"]
    assert topic["message_count"] == 10 and meta["serialization_format"] == "cdr"
    assert meta["type_description_hash"].startswith("RIHS01_")
    # Up to version 8 both distros read the offered QoS as a YAML *string* (version 9 made it a list,
    # which Humble cannot read); enum values are rmw's integers.
    assert isinstance(meta["offered_qos_profiles"], str)
    (qos,) = yaml.safe_load(meta["offered_qos_profiles"])
    assert qos["reliability"] == 2 and qos["durability"] == 2 and qos["history"] == 1   # best effort, volatile, keep last
    assert set(qos["deadline"]) == {"sec", "nsec"}


def test_mcap_file_is_valid_for_the_mcap_library(tmp_path):
    path = _write(tmp_path / "drive.mcap", n=50)
    with path.open("rb") as f:
        reader = make_reader(f)
        summary = reader.get_summary()
        assert summary.statistics.message_count == 50
        (channel,) = summary.channels.values()
        assert channel.topic == "/sensors/imu/imu" and channel.message_encoding == "cdr"
        assert summary.schemas[channel.schema_id].encoding == "ros2msg"
        metadata = {m.name: m.metadata for m in reader.iter_metadata()}
    assert "rosbag2" in metadata and "version: 8" in metadata["rosbag2"]["serialized_metadata"]


def test_sqlite_tables_have_the_columns_humble_queries(tmp_path):
    path = _write(tmp_path / "drive.db3", n=5)
    db = sqlite3.connect(path)
    topics = {row[1] for row in db.execute("PRAGMA table_info(topics)")}
    assert {"id", "name", "type", "serialization_format", "offered_qos_profiles"} <= topics
    assert db.execute("SELECT count(*) FROM messages").fetchone() == (5,)
    db.close()


def test_interrupted_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with BagWriter(tmp_path / "broken.mcap") as bag:
            bag.write("/sensors/imu/imu", _imu(bag.types, 0), 1)
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_not_overwritten_unless_asked(tmp_path):
    path = _write(tmp_path / "drive.mcap", n=3)
    with pytest.raises(TaishanError, match="exists already"):
        BagWriter(path)
    _write(path, n=4, overwrite=True)
    with BagReader(path) as bag:
        assert len(list(bag.messages())) == 4


@pytest.mark.parametrize("name", ["drive.mcap", "drive.db3"])
def test_truncated_bag_is_reported_and_read_up_to_the_damage(tmp_path, name):
    path = _write(tmp_path / name)
    damaged = tmp_path / f"cut_{name}"
    data = path.read_bytes()
    damaged.write_bytes(data[: len(data) * 2 // 3])
    with BagReader(damaged) as bag:
        msgs = list(bag.messages())
        assert bag.problems and any("damaged" in p for p in bag.problems)
        assert 0 < len(msgs) < N
        values = [imu.to_imu_sample(bag.decode(m), "imu").linear_acceleration[2] for m in msgs]
    assert values == list(range(len(msgs))), "recovered messages are the first ones, intact and in order"


def test_bag_folder_without_metadata_is_recovered_from_its_storage_file(tmp_path):
    path = _write(tmp_path / "bag", n=20)
    (path / "metadata.yaml").unlink()
    with BagReader(path) as bag:
        assert len(list(bag.messages())) == 20
        assert any("metadata" in p for p in bag.problems)


def test_garbage_message_bytes_are_an_input_error_naming_the_topic(tmp_path):
    with BagWriter(tmp_path / "bad.mcap") as bag:
        bag.write_raw("/sensors/imu/imu", "sensor_msgs/msg/Imu", 5, b"\x00\x01\x00\x00\x07")
    with BagReader(tmp_path / "bad.mcap") as bag:
        (raw,) = bag.messages()
        with pytest.raises(InputError, match="/sensors/imu/imu"):
            bag.decode(raw)


def test_topic_of_unknown_type_is_skipped_with_one_notice(tmp_path):
    from rosbags.rosbag2 import StoragePlugin, Writer

    path = tmp_path / "foreign"
    writer = Writer(path, version=8, storage_plugin=StoragePlugin.SQLITE3)
    writer.open()
    conn = writer.add_connection("/vendor/blob", "vendor_msgs/msg/Blob", msgdef="", rihs01="RIHS01_" + "0" * 64)
    for i in range(3):
        writer.write(conn, i, b"\x00\x01\x00\x00")
    writer.close()
    sqlite3.connect(path / "foreign.db3").execute("DELETE FROM message_definitions").connection.commit()
    with BagReader(path) as bag:
        bag.prepare({"/vendor/blob"})   # builds nothing for it, and leaves the notice to reading
        assert bag.notices == []
        assert list(bag.messages()) == []
        assert len([n for n in bag.notices if "/vendor/blob" in n]) == 1


def test_ros1_bag_is_read(tmp_path):
    from rosbags.rosbag1 import Writer as Ros1Writer
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS1_NOETIC)
    Imu = store.types["sensor_msgs/msg/Imu"]
    Header = store.types["std_msgs/msg/Header"]
    Time = store.types["builtin_interfaces/msg/Time"]
    Vector3 = store.types["geometry_msgs/msg/Vector3"]
    Quaternion = store.types["geometry_msgs/msg/Quaternion"]
    path = tmp_path / "drive.bag"
    with Ros1Writer(path) as writer:
        conn = writer.add_connection("/imu", "sensor_msgs/msg/Imu", typestore=store)
        for i in range(5):
            msg = Imu(Header(i, Time(100 + i, 5), "imu_link"), Quaternion(0.0, 0.0, 0.0, 1.0), np.zeros(9),
                      Vector3(0.0, 0.0, 0.2), np.zeros(9), Vector3(0.0, 0.0, 9.8 + i), np.zeros(9))
            writer.write(conn, (100 + i) * 10**9 + 5, store.serialize_ros1(msg, "sensor_msgs/msg/Imu"))
    with BagReader(path) as bag:
        samples = [imu.to_imu_sample(bag.decode(m), "imu", m.topic) for m in bag.messages()]
    assert [s.stamp_ns for s in samples] == [(100 + i) * 10**9 + 5 for i in range(5)]
    assert samples[-1].linear_acceleration[2] == pytest.approx(13.8) and samples[0].frame_id == "imu_link"
