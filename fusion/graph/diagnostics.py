"""Per-node diagnostics as plain data: input rates, stamp-to-processing latency, drops and
rejected messages with their reasons (diagnostic_msgs/DiagnosticStatus semantics)."""
from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, deque
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from fusion.core.time import NS_PER_S

RATE_WINDOW_NS = 5 * NS_PER_S     # input rates are counted over the last 5 s
LATENCY_WINDOW = 1000              # latency percentiles are taken over the last 1000 accepted messages
MAX_REASONS = 5                    # most frequent rejection reasons listed per input
_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")


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
    but unusable, e.g. too late), and arrival times and latencies for rates and percentiles (the
    latencies in a fixed ring of floats, which status() summarises without converting them)."""

    accepted: int = 0
    rejected: int = 0
    dropped: int = 0
    failed: int = 0
    reasons: Counter = field(default_factory=Counter)
    last_reason: str = ""
    arrivals: deque = field(default_factory=deque)
    _latencies_ms: np.ndarray = field(default_factory=lambda: np.zeros(LATENCY_WINDOW), init=False, repr=False)

    def accept(self, stamp_ns: int, now_ns: int) -> None:
        """Count a message accepted at now_ns, with its latency since its stamp."""
        self._latencies_ms[self.accepted % LATENCY_WINDOW] = (now_ns - stamp_ns) / 1e6
        self.accepted += 1
        self.arrive(now_ns)

    def latencies_ms(self) -> np.ndarray:
        """The latencies of the last LATENCY_WINDOW accepted messages [ms], in no particular order."""
        return self._latencies_ms[:min(self.accepted, LATENCY_WINDOW)]

    def latency_median_max_ms(self) -> tuple[float, float]:
        """Median and maximum of latencies_ms()."""
        lat = self.latencies_ms()
        return float(np.median(lat)), float(lat.max())

    def note(self, reason: str, count: int = 1) -> None:
        self.reasons[reason_kind(reason)] += count
        self.last_reason = reason

    def arrive(self, now_ns: int) -> None:
        arrivals, oldest = self.arrivals, now_ns - RATE_WINDOW_NS
        arrivals.append(now_ns)
        while arrivals[0] < oldest:   # stops at now_ns at the latest
            arrivals.popleft()

    def rate_hz(self, now_ns: int) -> float:
        """Arrivals per second over the RATE_WINDOW_NS before now_ns (arrivals are in time order:
        the first recent one is found by bisection)."""
        arrivals = self.arrivals
        first = bisect_left(arrivals, now_ns - RATE_WINDOW_NS)
        count = len(arrivals) - first
        if count < 2:
            return 0.0
        return (count - 1) * NS_PER_S / max(arrivals[-1] - arrivals[first], 1)


class NodeDiagnostics:
    """The bookkeeping every node core shares; `status(now)` summarises it."""

    def __init__(self, node: str, hardware_id: str = ""):
        self.node = node
        self.hardware_id = hardware_id
        self.inputs: dict[str, InputStats] = {}

    def stats(self, topic: str) -> InputStats:
        s = self.inputs.get(topic)
        if s is None:
            s = self.inputs[topic] = InputStats()
        return s

    def accepted(self, topic: str, stamp_ns: int, now_ns: int) -> None:
        self.stats(topic).accept(stamp_ns, now_ns)

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
            if s.accepted:
                median, maximum = s.latency_median_max_ms()
                values[f"{topic} latency_ms p50"] = f"{median:.1f}"
                values[f"{topic} latency_ms max"] = f"{maximum:.1f}"
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
