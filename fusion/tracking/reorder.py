"""A reorder buffer for asynchronous sensors: measurements wait `window_ns` behind the newest stamp seen
and leave in stamp order; one older than what already left is refused (StampOrderError)."""
from __future__ import annotations

import heapq
import itertools
from typing import Generic, TypeVar

from fusion.core.errors import StampOrderError

T = TypeVar("T")


class ReorderBuffer(Generic[T]):
    def __init__(self, window_ns: int):
        self.window_ns = int(window_ns)
        self.released_ns: int | None = None   # stamp of the newest item released (or flush horizon)
        self.newest_ns: int | None = None
        self._heap: list[tuple[int, int, T]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, stamp_ns: int, item: T, source: str) -> None:
        if self.released_ns is not None and stamp_ns < self.released_ns:
            raise StampOrderError(source, f"stamp {stamp_ns} is {(self.released_ns - stamp_ns) / 1e6:.1f} ms older than "
                                          f"the data already processed (reorder window {self.window_ns / 1e6:.0f} ms)")
        heapq.heappush(self._heap, (stamp_ns, next(self._order), item))
        self.newest_ns = stamp_ns if self.newest_ns is None else max(self.newest_ns, stamp_ns)

    def pop_ready(self) -> list[T]:
        """Items that the window has passed, oldest first."""
        if self.newest_ns is None:
            return []
        return self.pop_until(self.newest_ns - self.window_ns)

    def pop_until(self, until_ns: int | None) -> list[T]:
        """Items with stamp <= until_ns (all when None), oldest first; later pushes older than
        until_ns are refused."""
        out = []
        while self._heap and (until_ns is None or self._heap[0][0] <= until_ns):
            stamp, _, item = heapq.heappop(self._heap)
            self.released_ns = stamp if self.released_ns is None else max(self.released_ns, stamp)
            out.append(item)
        if until_ns is not None:
            self.released_ns = until_ns if self.released_ns is None else max(self.released_ns, until_ns)
        return out
