"""Read what a damaged rosbag2 storage file still holds, front to back, up to the damage.

rosbags opens a bag through its index (mcap summary, sqlite index) and refuses a file whose end is
missing. These readers instead scan records in file order: the mcap library's StreamReader for
.mcap (a truncated trailing chunk is lost whole, everything before it is recovered) and sqlite's
row order for .db3 (read from a copy whose header matches its length). Each stops at the first unreadable record and says where.
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
    """Yield (topic id, timestamp ns, data) in row order after filling `channels` from the topics
    table; raises Damage at the first unreadable page.

    A truncated .db3 still claims its full page count in the file header, and sqlite then refuses
    even its schema; the scan reads a copy whose header claims only the whole pages present."""
    with tempfile.TemporaryDirectory(prefix="taishan-recover-") as tmp:
        copy = Path(tmp) / path.name
        _copy_whole_pages(path, copy)
        with _connect(copy) as db:
            try:
                channels.update(_sqlite_topics(db))
            except sqlite3.DatabaseError as exc:
                raise Damage(f"{path.name} (topics table)", str(exc)) from None
            rows = 0
            try:
                for topic_id, timestamp, data in db.execute("SELECT topic_id, timestamp, data FROM messages ORDER BY rowid"):
                    rows += 1
                    yield topic_id, timestamp, data
            except sqlite3.DatabaseError as exc:
                raise Damage(f"{path.name} after row {rows}", str(exc)) from None


def _copy_whole_pages(src: Path, dst: Path) -> None:
    data = bytearray(src.read_bytes())
    if len(data) < 100 or not data.startswith(b"SQLite format 3\x00"):
        raise Damage(src.name, "not an sqlite database (bad or missing header)")
    (page_size,) = struct.unpack(">H", data[16:18])
    page_size = 65536 if page_size == 1 else page_size
    pages = len(data) // page_size
    del data[pages * page_size:]
    data[28:32] = struct.pack(">I", pages)
    dst.write_bytes(data)


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
