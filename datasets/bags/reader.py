"""Read rosbag2 (directory, .mcap, .db3) and ROS 1 (.bag) recordings message by message.

Messages come out in log-time order, undecoded, so a consumer decodes only what it uses. Types are
decoded with the definitions the bag recorded (a bag from another distro keeps its own field
layout) and otherwise with the default typestore; a topic whose type is known nowhere is skipped
with one notice. Damage never raises: an unreadable index or metadata.yaml falls back to scanning
the storage files (datasets.bags.recovery), a read error stops the stream where it happened, and
each is recorded in `problems` with what was wrong and where, after the messages before it.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, NamedTuple

from rosbags.interfaces import MessageDefinitionFormat
from rosbags.rosbag1 import Reader as Ros1Reader
from rosbags.rosbag2 import Reader as Ros2Reader
from rosbags.typesys import Stores, get_types_from_idl, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

from datasets.bags.recovery import Channel, Damage, scan_mcap, scan_sqlite
from datasets.bags.typestore import default_typestore
from fusion.core.errors import InputError, TaishanError

_FORMATS = {MessageDefinitionFormat.MSG: "ros2msg", MessageDefinitionFormat.IDL: "ros2idl"}
_IDL_SEPARATOR = "=" * 80 + "\n"


class RawMessage(NamedTuple):
    """One recorded message: its channel (topic, type, definition), log time and serialized bytes."""

    channel: Channel
    log_ns: int
    data: bytes

    @property
    def topic(self) -> str:
        return self.channel.topic

    @property
    def msgtype(self) -> str:
        return self.channel.msgtype


def _fields(typs: dict[str, Any]) -> dict[str, list[tuple[str, Any]]]:
    return {name: [(f[0].lower(), f[1]) for f in fields] for name, (_, fields) in typs.items()}


def _parse_definition(channel: Channel) -> dict[str, Any]:
    """The types a recorded definition declares (the channel's type and everything it uses)."""
    if channel.msgdef_format in ("ros2msg", "ros1msg"):
        return get_types_from_msg(channel.msgdef, channel.msgtype)
    typs: dict[str, Any] = {}
    for section in channel.msgdef.split(_IDL_SEPARATOR):
        body = section.split("\n", 1)[1] if section.startswith("IDL: ") else section
        if body.strip():
            typs.update(get_types_from_idl(body))
    return typs


class BagReader:
    """`with BagReader(path) as bag: for raw in bag.messages(): msg = bag.decode(raw)`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise TaishanError(f"bag {self.path} does not exist")
        self.is_ros1 = self.path.suffix == ".bag"
        self.problems: list[str] = []
        self.notices: list[str] = []
        self.channels: dict[int, Channel] = {}
        self._stores: dict[str, Typestore] = {}
        self._private: Typestore | None = None
        self._unknown: set[int] = set()
        self._reader: Ros1Reader | Ros2Reader | None = None
        self._scans: list[Callable[[], Iterator[tuple[int, int, bytes]]]] = []
        self._channel_of_reader: dict[int, Channel] = {}

    # --- opening --------------------------------------------------------------------------------
    def __enter__(self) -> BagReader:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        try:
            reader = Ros1Reader(self.path) if self.is_ros1 else Ros2Reader(self.path)
            reader.open()
        except Exception as exc:  # rosbags raises several error types for damaged bags
            self.problems.append(f"{self.path}: cannot open normally ({exc})")
            if not self.is_ros1:
                self._open_by_scanning()
            return
        self._reader = reader
        for conn in reader.connections:
            fmt = "ros1msg" if self.is_ros1 else _FORMATS.get(conn.msgdef.format, "")
            self.channels[conn.id] = Channel(conn.id, conn.topic, conn.msgtype, conn.msgdef.data, fmt,
                                             "" if self.is_ros1 else conn.digest)

    def _open_by_scanning(self) -> None:
        files = sorted(p for p in self.path.iterdir() if p.suffix in (".mcap", ".db3")) if self.path.is_dir() else [self.path]
        if not files:
            self.problems.append(f"{self.path}: no .mcap or .db3 storage file to recover messages from")
        offset = 0
        for file in files:
            # Channel ids of several files are kept apart by an offset per file.
            self._scans.append(self._scanner(file, offset))
            offset += 1 << 20
        if files:
            self.notices.append(f"{self.path}: recovering messages by scanning {', '.join(f.name for f in files)}")

    def _scanner(self, file: Path, offset: int) -> Callable[[], Iterator[tuple[int, int, bytes]]]:
        def scan() -> Iterator[tuple[int, int, bytes]]:
            found: dict[int, Channel] = {}
            records = scan_sqlite(file, found) if file.suffix == ".db3" else scan_mcap(file, found)
            for cid, log_ns, data in records:
                key = cid + offset
                if key not in self.channels:
                    if cid not in found:
                        raise Damage(file.name, f"a message on channel {cid}, which has no channel record")
                    self.channels[key] = replace(found[cid], id=key)
                yield key, log_ns, data

        return scan

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    # --- reading ----------------------------------------------------------------------------------
    @property
    def topics(self) -> dict[str, str]:
        """Topic -> message type of every channel seen so far (all of them for an intact bag)."""
        return {ch.topic: ch.msgtype for ch in self.channels.values()}

    def _records(self, wanted: Collection[str] | None) -> Iterator[tuple[int, int, bytes]]:
        if self._reader is not None:
            conns = [c for c in self._reader.connections if wanted is None or c.topic in wanted]
            if conns:
                for conn, log_ns, data in self._reader.messages(connections=conns):
                    yield conn.id, log_ns, data
            return
        for scan in self._scans:
            yield from scan()

    def messages(self, topics: Collection[str] | None = None) -> Iterator[RawMessage]:
        """Messages on `topics` (all when None) in log-time order; stops at damage, recording it."""
        count, last_ns = 0, None
        usable: dict[int, Channel | None] = {}   # channel id -> its channel, or None when it is skipped
        try:
            for cid, log_ns, data in self._records(topics):
                if cid not in usable:
                    channel = self.channels[cid]
                    wanted = topics is None or channel.topic in topics
                    usable[cid] = channel if wanted and self._known(channel) else None
                channel = usable[cid]
                if channel is None:
                    continue
                count += 1
                last_ns = log_ns
                yield RawMessage(channel, log_ns, bytes(data))
        except Damage as exc:
            self.problems.append(f"{self.path}: damaged at {exc.where}: {exc.reason}; read {count} messages before it")
        except Exception as exc:  # a storage read error part-way through
            where = f"after log time {last_ns} ns" if last_ns is not None else "before the first message"
            self.problems.append(f"{self.path}: read error {where}: {type(exc).__name__}: {exc}; "
                                 f"read {count} messages before it")

    def _known(self, channel: Channel) -> bool:
        if channel.id in self._unknown:
            return False
        try:
            self._store_for(channel)
            return True
        except InputError as exc:
            self._unknown.add(channel.id)
            self.notices.append(f"skipping topic {channel.topic!r}: {exc.reason}")
            return False

    # --- decoding ---------------------------------------------------------------------------------
    def prepare(self, topics: Collection[str]) -> None:
        """Build the decoders of the channels on `topics` now instead of at each one's first message,
        so that a timed read leaves out this one-time setup. A channel whose type is unknown is
        left for messages() to report."""
        for channel in list(self.channels.values()):
            if channel.topic in topics:
                try:
                    self._store_for(channel).get_msgdef(channel.msgtype)
                except InputError:
                    continue

    def _store_for(self, channel: Channel) -> Typestore:
        store = self._stores.get(channel.msgtype)
        if store is not None:
            return store
        default = default_typestore()
        typs: dict[str, Any] = {}
        if channel.msgdef:
            try:
                typs = _parse_definition(channel)
            except Exception as exc:
                raise InputError(f"topic {channel.topic!r}", f"unreadable message definition of {channel.msgtype!r} ({exc})") from None
        if self.is_ros1:
            store = self._private_store(typs, get_typestore(Stores.ROS1_NOETIC))
        elif typs and any(default.fielddefs.get(n) is None or _fields({n: default.fielddefs[n]}) != _fields({n: t})
                          for n, t in typs.items()):
            store = self._private_store(typs, default)
        else:
            store = default
        if channel.msgtype not in store.fielddefs:
            raise InputError(f"topic {channel.topic!r}", f"message type {channel.msgtype!r} is unknown (the bag records no definition for it)")
        self._stores[channel.msgtype] = store
        return store

    def _private_store(self, typs: dict[str, Any], base: Typestore) -> Typestore:
        """A store for this bag's own definitions, falling back to `base` for the rest."""
        if self._private is None:
            self._private = get_typestore(Stores.EMPTY)
            self._private.register(typs)
            self._private.register({n: d for n, d in base.fielddefs.items() if n not in self._private.fielddefs})
        else:
            self._private.register({n: d for n, d in typs.items() if n not in self._private.fielddefs})
        return self._private

    def decode(self, raw: RawMessage) -> Any:
        """The message object; InputError naming topic and log time when the bytes are malformed."""
        store = self._store_for(raw.channel)
        try:
            if self.is_ros1:
                return store.deserialize_ros1(raw.data, raw.msgtype)
            return store.deserialize_cdr(raw.data, raw.msgtype)
        except Exception as exc:
            raise InputError(f"topic {raw.topic!r} at log time {raw.log_ns} ns",
                             f"cannot decode {raw.msgtype} ({type(exc).__name__}: {exc})") from None

    def definition(self, raw: RawMessage) -> tuple[str, str]:
        """(ros2msg text, RIHS01 hash) of a ROS 2 message's type, to record it elsewhere unchanged."""
        store = self._store_for(raw.channel)
        return store.generate_msgdef(raw.msgtype, ros_version=2)[0], store.hash_rihs01(raw.msgtype)
