"""Read what a damaged rosbag2 storage file still holds, front to back, up to the damage.

rosbags opens a bag through its index (mcap summary, sqlite B-tree) and refuses a file whose end
is missing. These readers instead scan what is on disk: the mcap library's StreamReader for .mcap
(in file order; a truncated trailing chunk is lost whole, everything before it is recovered) and
the table-leaf pages of a .db3 (in row order; a row whose page or overflow pages are gone is
lost). Each reports where the damage is.
"""
from __future__ import annotations

import sqlite3
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from mcap.records import Channel as McapChannel
from mcap.records import Message as McapMessage
from mcap.records import Schema as McapSchema
from mcap.stream_reader import StreamReader


@dataclass(frozen=True)
class Channel:
    """One (topic, type) stream of a bag with its recorded message definition, if any."""

    id: int
    topic: str
    msgtype: str
    msgdef: str = ""
    msgdef_format: str = ""     # 'ros2msg', 'ros2idl', 'ros1msg' or '' (none recorded)
    digest: str = ""


class Damage(Exception):
    """Raised by a recovery scan at the first unreadable record; `where` locates it."""

    def __init__(self, where: str, reason: str):
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


def scan_mcap(path: Path, channels: dict[int, Channel]) -> Iterator[tuple[int, int, bytes]]:
    """Yield (channel id, log time ns, data) in file order, filling `channels` as their records
    appear; raises Damage at the first record that cannot be read."""
    schemas: dict[int, McapSchema] = {}
    with path.open("rb") as f:
        reader = StreamReader(f, validate_crcs=True)
        try:
            for record in reader.records:
                if isinstance(record, McapSchema):
                    schemas[record.id] = record
                elif isinstance(record, McapChannel):
                    schema = schemas.get(record.schema_id)
                    channels[record.id] = Channel(
                        record.id, record.topic, schema.name if schema else "",
                        schema.data.decode() if schema else "", schema.encoding if schema else "")
                elif isinstance(record, McapMessage):
                    yield record.channel_id, record.log_time, record.data
        except Exception as exc:  # EndOfFile, CRC errors, bad lengths: everything means "damaged here"
            raise Damage(f"{path.name} at byte {f.tell()}", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None


def scan_sqlite(path: Path, channels: dict[int, Channel]) -> Iterator[tuple[int, int, bytes]]:
    """Yield (topic id, timestamp ns, data) of every message row still on disk, in row order, after
    filling `channels` from the topics table; raises Damage where the file ends mid-record.

    A cut .db3 loses B-tree pages that index everything inserted before them, so the rows are read
    from the table-leaf pages themselves (sqlite's file format): messages are the leaf records of
    shape (id, topic_id, timestamp, data). The topics table (early in the file) is read with sqlite
    from a copy whose header claims only the whole pages present."""
    data = path.read_bytes()
    if len(data) < 100 or not data.startswith(b"SQLite format 3\x00"):
        raise Damage(path.name, "not an sqlite database (bad or missing header)")
    page_size = struct.unpack(">H", data[16:18])[0] or 65536
    page_size = 65536 if page_size == 1 else page_size
    usable = page_size - data[20]
    with tempfile.TemporaryDirectory(prefix="taishan-recover-") as tmp:
        copy = Path(tmp) / path.name
        whole = bytearray(data[: len(data) // page_size * page_size])
        whole[28:32] = struct.pack(">I", len(whole) // page_size)
        copy.write_bytes(whole)
        with _connect(copy) as db:
            try:
                channels.update(_sqlite_topics(db))
            except sqlite3.DatabaseError as exc:
                raise Damage(f"{path.name} (topics table)", str(exc)) from None
    rows = sorted(_leaf_rows(data, page_size, usable), key=lambda row: row[0])
    for _, (topic_id, timestamp, blob) in rows:
        yield topic_id, timestamp, blob
    if len(data) % page_size:
        raise Damage(f"{path.name} at byte {len(data) // page_size * page_size}",
                     f"file ends inside page {len(data) // page_size + 1} (truncated)")


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    for k in range(9):
        b = buf[i + k]
        if k == 8:
            return (value << 8) | b, i + 9
        value = (value << 7) | (b & 0x7F)
        if b < 0x80:
            return value, i + k + 1
    raise AssertionError("unreachable")


def _payload(data: bytes, start: int, size: int, page_size: int, usable: int) -> bytes | None:
    """A cell's payload, following its overflow pages; None when a page lies past the end."""
    x = usable - 35
    if size <= x:
        return data[start:start + size]
    m = (usable - 12) * 32 // 255 - 23
    k = m + (size - m) % (usable - 4)
    local = k if k <= x else m
    parts = [data[start:start + local]]
    (page,) = struct.unpack(">I", data[start + local:start + local + 4])
    remaining = size - local
    while remaining > 0:
        offset = (page - 1) * page_size
        if page == 0 or offset + page_size > len(data):
            return None
        (page,) = struct.unpack(">I", data[offset:offset + 4])
        chunk = data[offset + 4:offset + 4 + min(remaining, usable - 4)]
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _record(payload: bytes) -> list[object]:
    header_size, i = _varint(payload, 0)
    serials, values, body = [], [], header_size
    while i < header_size:
        serial, i = _varint(payload, i)
        serials.append(serial)
    sizes = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for serial in serials:
        if serial in sizes:
            n = sizes[serial]
            values.append(int.from_bytes(payload[body:body + n], "big", signed=True))
            body += n
        elif serial in (0, 8, 9):
            values.append(None if serial == 0 else serial - 8)
        elif serial == 7:
            values.append(struct.unpack(">d", payload[body:body + 8])[0])
            body += 8
        else:
            n = (serial - 12) // 2
            values.append(payload[body:body + n] if serial % 2 == 0 else payload[body:body + n].decode(errors="replace"))
            body += n
    return values


def _leaf_rows(data: bytes, page_size: int, usable: int) -> Iterator[tuple[int, tuple[int, int, bytes]]]:
    """(rowid, (topic_id, timestamp, data)) of every complete message record on a table-leaf page."""
    for page in range(len(data) // page_size):
        offset = page * page_size
        header = offset + (100 if page == 0 else 0)
        if data[header] != 0x0D:   # table b-tree leaf
            continue
        (cells,) = struct.unpack(">H", data[header + 3:header + 5])
        for c in range(cells):
            (pointer,) = struct.unpack(">H", data[header + 8 + 2 * c:header + 10 + 2 * c])
            try:
                size, i = _varint(data, offset + pointer)
                rowid, i = _varint(data, i)
                payload = _payload(data, i, size, page_size, usable)
                values = _record(payload) if payload is not None else None
            except (IndexError, struct.error):
                continue
            if (values and len(values) == 4 and values[0] is None and isinstance(values[1], int)
                    and isinstance(values[2], int) and isinstance(values[3], bytes)):
                yield rowid, (values[1], values[2], values[3])


def _sqlite_topics(db: sqlite3.Connection) -> dict[int, Channel]:
    """The topics table and (schema 4+) message definitions of a .db3."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(topics)")}
    digest = "type_description_hash" if "type_description_hash" in columns else "''"
    rows = db.execute(f"SELECT id, name, type, {digest} FROM topics ORDER BY id").fetchall()
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    defs = {}
    if "message_definitions" in tables:
        defs = {t: (d, e) for t, e, d in db.execute(
            "SELECT topic_type, encoding, encoded_message_definition FROM message_definitions")}
    return {cid: Channel(cid, name, msgtype, *defs.get(msgtype, ("", "")), digest=str(dig or ""))
            for cid, name, msgtype, dig in rows}


class _connect:
    """A read-only, immutable sqlite connection that is closed on exit (sqlite3's own context
    manager only commits)."""

    def __init__(self, path: Path):
        try:
            self.db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        except sqlite3.Error as exc:
            raise Damage(path.name, f"cannot open as sqlite: {exc}") from None

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()
