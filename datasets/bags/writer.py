"""Write rosbag2 bags that ROS 2 Humble and Jazzy open, without leaving a half-written one behind.

Layout from the output path: `NAME.mcap` or `NAME.db3` is one storage file (its bag metadata is
embedded, so `ros2 bag info/play` open it directly); any other name is a bag directory with
metadata.yaml and one storage file. Metadata is rosbag2 version 8 (QoS profiles as a YAML string,
RIHS01 type hashes): Jazzy writes and reads it, and Humble reads it, skipping the keys it does not
know. Everything is written under a hidden temporary name beside the output and renamed into place
only when the bag is complete; an error or interruption removes the temporary files.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from rosbags.interfaces import Connection
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys.store import Typestore

from datasets.bags.qos import offered_qos
from datasets.bags.typestore import default_typestore, message_types
from fusion.core.errors import InputError, TaishanError
from fusion.messages.header import MessageTypes

METADATA_VERSION = 8
_STORAGE_SUFFIX = {".mcap": StoragePlugin.MCAP, ".db3": StoragePlugin.SQLITE3}
_STORAGE_NAME = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}


class BagWriter:
    """A context manager: `with BagWriter(path) as bag: bag.write(topic, msg, log_ns)`."""

    def __init__(self, path: str | Path, *, storage: str = "mcap", store: Typestore | None = None,
                 overwrite: bool = False):
        """storage ('mcap' or 'sqlite3') applies to bag directories; a .mcap / .db3 path decides it."""
        self.path = Path(path)
        self.store = store or default_typestore()
        self.types: MessageTypes = message_types(self.store)
        self.single_file = self.path.suffix in _STORAGE_SUFFIX
        if self.single_file:
            self.storage = _STORAGE_SUFFIX[self.path.suffix]
        elif storage in _STORAGE_NAME:
            self.storage = _STORAGE_NAME[storage]
        else:
            raise TaishanError(f"unknown bag storage {storage!r} (expected mcap or sqlite3)")
        if self.path.exists() and not overwrite:
            raise TaishanError(f"{self.path} exists already (remove it, choose another name, or overwrite)")
        self.overwrite = overwrite
        self._tmp: Path | None = None
        self._writer: Writer | None = None
        self._connections: dict[tuple[str, str], Connection] = {}
        self.counts: dict[str, int] = {}

    def __enter__(self) -> BagWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent))
        inner = self._tmp / (self.path.stem if self.single_file else self.path.name)
        self._writer = Writer(inner, version=METADATA_VERSION, storage_plugin=self.storage)
        self._writer.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self._finish()
        else:
            self._discard()

    def _connection(self, topic: str, msgtype: str, msgdef: str | None = None, digest: str | None = None) -> Connection:
        key = (topic, msgtype)
        conn = self._connections.get(key)
        if conn is None:
            assert self._writer is not None, "BagWriter used outside its with-block"
            if msgdef is None and msgtype not in self.store.fielddefs:
                raise InputError(f"topic {topic!r}", f"message type {msgtype!r} is unknown and has no definition to record")
            kwargs: dict[str, Any] = {"msgdef": msgdef, "rihs01": digest} if msgdef is not None else {"typestore": self.store}
            conn = self._writer.add_connection(topic, msgtype, offered_qos_profiles=[offered_qos(topic, msgtype)], **kwargs)
            self._connections[key] = conn
        return conn

    def write(self, topic: str, msg: Any, log_ns: int, msgtype: str | None = None) -> None:
        """Serialize a rosbags message (CDR) and record it at log time log_ns."""
        msgtype = msgtype or msg.__msgtype__
        data = self.store.serialize_cdr(msg, msgtype)
        self.write_raw(topic, msgtype, log_ns, data)

    def write_raw(self, topic: str, msgtype: str, log_ns: int, data: bytes | memoryview,
                  msgdef: str | None = None, digest: str | None = None) -> None:
        """Record already-serialized CDR bytes; msgdef/digest describe a type the typestore lacks."""
        assert self._writer is not None, "BagWriter used outside its with-block"
        self._writer.write(self._connection(topic, msgtype, msgdef, digest), int(log_ns), data)
        self.counts[topic] = self.counts.get(topic, 0) + 1

    def _finish(self) -> None:
        assert self._writer is not None and self._tmp is not None
        try:
            self._writer.close()
            inner = self._writer.path
            built = inner / f"{inner.name}{self.path.suffix}" if self.single_file else inner
            if self.overwrite and self.path.is_dir() and not self.single_file:
                shutil.rmtree(self.path)
            elif self.overwrite and self.path.is_dir():
                raise TaishanError(f"{self.path} is a directory; will not replace it with a file")
            os.replace(built, self.path)
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._writer = None

    def _discard(self) -> None:
        assert self._writer is not None and self._tmp is not None
        try:
            self._writer.abort()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._writer = None
