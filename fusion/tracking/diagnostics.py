"""What the tracker counts: measurements received and rejected (by reason, with the latest messages),
tracks created and deleted (by reason), covariance repairs, and time spent per processing stage."""
from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

STAGES = ("predict", "gate", "associate", "update", "manage")


@dataclass
class TrackerDiagnostics:
    received: Counter = field(default_factory=Counter)          # batches per sensor
    processed: Counter = field(default_factory=Counter)         # batches per sensor that reached the filters
    rejected: Counter = field(default_factory=Counter)          # batches or detections, by reason
    deleted: Counter = field(default_factory=Counter)           # tracks, by reason
    created: int = 0
    reinitialised: int = 0                                      # tracks restarted on a detection they failed to gate
    covariance_repairs: int = 0
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    recent: deque = field(default_factory=lambda: deque(maxlen=20))   # latest rejection messages

    def reject(self, reason: str, count: int, message: str) -> None:
        self.rejected[reason] += count
        self.recent.append(f"{reason}: {message}")

    def snapshot(self, **extra: Any) -> dict[str, Any]:
        batches = sum(self.processed.values())
        return {
            "received": dict(self.received),
            "processed": dict(self.processed),
            "rejected": dict(self.rejected),
            "recent_rejections": list(self.recent),
            "tracks_created": self.created,
            "tracks_reinitialised": self.reinitialised,
            "tracks_deleted": dict(self.deleted),
            "covariance_repairs": self.covariance_repairs,
            "stage_ms_per_batch": {k: round(1e3 * v / max(batches, 1), 4) for k, v in self.stage_seconds.items()},
            **extra,
        }
