"""Per-node diagnostics as plain data: input rates, stamp-to-processing latency, drops and
rejected messages with their reasons (diagnostic_msgs/DiagnosticStatus semantics)."""
from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from fusion.core.time import NS_PER_S

RATE_WINDOW_NS = 5 * NS_PER_S     # input rates are counted over the last 5 s
MAX_REASONS = 5                    # most frequent rejection reasons listed per input
_NUMBERS = re.compile(r"-?\d+(\.\d+)?")


def reason_kind(reason: str) -> str:
    """A reason with its numbers (stamps, indices, values) replaced by '#', so that reasons of one
    kind are counted together; the latest full text is kept beside the counts."""
    return _NUMBERS.sub("#", reason)


class Level(IntEnum):
    OK = 0
    WARN = 1
    ERROR = 2
    STALE = 3


@dataclass
class Status:
    """One node's state: a level, a one-line message and key/value details."""

    name: str
    level: Level
    message: str
    hardware_id: str = ""
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class InputStats:
    """What one input topic delivered: accepted and rejected counts, rejection reasons, drops (valid
    but unusable, e.g. too late), and arrival times and latencies for rates and percentiles."""

    accepted: int = 0
    rejected: int = 0
    dropped: int = 0
    failed: int = 0
    reasons: Counter = field(default_factory=Counter)
    last_reason: str = ""
    arrivals: deque = field(default_factory=deque)
    latencies_ns: deque = field(default_factory=lambda: deque(maxlen=1000))

    def note(self, reason: str, count: int = 1) -> None:
        self.reasons[reason_kind(reason)] += count
        self.last_reason = reason

    def arrive(self, now_ns: int) -> None:
        self.arrivals.append(now_ns)
        while self.arrivals and self.arrivals[0] < now_ns - RATE_WINDOW_NS:
            self.arrivals.popleft()

    def rate_hz(self, now_ns: int) -> float:
        recent = [t for t in self.arrivals if t >= now_ns - RATE_WINDOW_NS]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) * NS_PER_S / max(recent[-1] - recent[0], 1)


class NodeDiagnostics:
    """The bookkeeping every node core shares; `status(now)` summarises it."""

    def __init__(self, node: str, hardware_id: str = ""):
        self.node = node
        self.hardware_id = hardware_id
        self.inputs: dict[str, InputStats] = {}

    def stats(self, topic: str) -> InputStats:
        if topic not in self.inputs:
            self.inputs[topic] = InputStats()
        return self.inputs[topic]

    def accepted(self, topic: str, stamp_ns: int, now_ns: int) -> None:
        s = self.stats(topic)
        s.accepted += 1
        s.arrive(now_ns)
        s.latencies_ns.append(now_ns - stamp_ns)

    def rejected(self, topic: str, reason: str, now_ns: int) -> None:
        s = self.stats(topic)
        s.rejected += 1
        s.arrive(now_ns)
        s.note(reason)

    def failed(self, topic: str, reason: str, now_ns: int) -> None:
        """The node's own code raised while processing a valid input."""
        s = self.stats(topic)
        s.failed += 1
        s.arrive(now_ns)
        s.note(f"internal error: {reason}")

    def dropped(self, topic: str, reason: str, count: int = 1) -> None:
        """Valid input that could not be used (count items of one message, or the message itself)."""
        s = self.stats(topic)
        s.dropped += count
        s.note(reason, count)

    def status(self, now_ns: int, extra: dict[str, str] | None = None) -> Status:
        values: dict[str, str] = {}
        level, problems = Level.OK, []
        for topic, s in sorted(self.inputs.items()):
            values[f"{topic} rate_hz"] = f"{s.rate_hz(now_ns):.2f}"
            values[f"{topic} accepted"] = str(s.accepted)
            values[f"{topic} rejected"] = str(s.rejected)
            values[f"{topic} dropped"] = str(s.dropped)
            values[f"{topic} failed"] = str(s.failed)
            if s.latencies_ns:
                lat = np.asarray(s.latencies_ns, dtype=float) / 1e6
                values[f"{topic} latency_ms p50"] = f"{np.percentile(lat, 50):.1f}"
                values[f"{topic} latency_ms max"] = f"{lat.max():.1f}"
            for i, (reason, count) in enumerate(s.reasons.most_common(MAX_REASONS)):
                values[f"{topic} reason {i + 1}"] = f"{count}x {reason}"
            if s.last_reason:
                values[f"{topic} last reason"] = s.last_reason
            if s.failed:
                level = Level.ERROR
                problems.append(f"{topic}: {s.failed} failed")
            if s.rejected or s.dropped:
                level = max(level, Level.WARN)
                problems.append(f"{topic}: {s.rejected} rejected, {s.dropped} dropped")
        values.update(extra or {})
        message = "; ".join(problems) if problems else "ok"
        return Status(self.node, level, message, self.hardware_id, values)


@dataclass
class Report:
    """Every node's status at one stamp: one diagnostic_msgs/DiagnosticArray."""

    stamp_ns: int
    statuses: list[Status]
