"""Node diagnostics summaries: input rates over the last RATE_WINDOW_NS and the latency median / max."""
from __future__ import annotations

import numpy as np

from fusion.core.time import NS_PER_S
from fusion.graph.diagnostics import LATENCY_WINDOW, RATE_WINDOW_NS, InputStats, NodeDiagnostics


def test_latency_median_and_max_equal_numpy_for_odd_and_even_counts_and_past_the_window():
    rng = np.random.default_rng(3)
    for count in (1, 2, 3, 10, 11, LATENCY_WINDOW - 1, LATENCY_WINDOW, LATENCY_WINDOW + 7):
        stats = InputStats()
        latencies_ns = rng.integers(0, 80_000_000, size=count)
        for i, latency in enumerate(latencies_ns.tolist()):
            stats.accept(i * 1_000_000 - latency, i * 1_000_000)
        ring = stats.latencies_ms().copy()
        recent_ms = latencies_ns[-LATENCY_WINDOW:] / 1e6
        assert stats.latency_median_max_ms() == (np.median(recent_ms), recent_ms.max())
        np.testing.assert_array_equal(stats.latencies_ms(), ring)   # the ring's order (its next slot) is kept


def test_rate_counts_the_arrivals_of_the_last_window():
    d = NodeDiagnostics("node")
    for t_s in (0.0, 1.0, 2.0, 3.5, 6.0):
        d.accepted("/a", int(t_s * NS_PER_S), int(t_s * NS_PER_S))
    stats = d.stats("/a")
    assert RATE_WINDOW_NS == 5 * NS_PER_S
    assert stats.rate_hz(6 * NS_PER_S) == 3 / 5.0                 # 1, 2, 3.5 and 6 s are in the window
    assert stats.rate_hz(8 * NS_PER_S) == 1 / 2.5                 # 3.5 and 6 s
    assert stats.rate_hz(9 * NS_PER_S) == 0.0                     # only 6 s
    assert d.status(6 * NS_PER_S).values["/a rate_hz"] == "0.60"
