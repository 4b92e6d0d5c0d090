"""The reorder buffer releases in stamp order behind a window and refuses what is too late."""
from __future__ import annotations

import pytest

from fusion.core.errors import StampOrderError
from fusion.tracking.reorder import ReorderBuffer


def test_release_in_stamp_order_behind_the_window():
    buf = ReorderBuffer(window_ns=100)
    out = []
    for stamp in (1000, 1050, 1020, 1200, 1150, 1400):
        buf.push(stamp, stamp, "test")
        out += buf.pop_ready()
    assert out == [1000, 1020, 1050, 1150, 1200]
    assert buf.pop_until(None) == [1400] and len(buf) == 0


def test_late_items_are_refused_with_the_reason():
    buf = ReorderBuffer(window_ns=100)
    for stamp in (1000, 1300):
        buf.push(stamp, stamp, "test")
    assert buf.pop_ready() == [1000]
    buf.push(1250, 1250, "ok")          # still inside the window
    with pytest.raises(StampOrderError, match="older than the data already processed"):
        buf.push(1150, 1150, "sensor 'radar'")
    assert buf.pop_until(1260) == [1250]
    with pytest.raises(StampOrderError):
        buf.push(1255, 1255, "test")     # before the flush horizon


def test_equal_stamps_keep_arrival_order():
    buf = ReorderBuffer(window_ns=0)
    buf.push(5, "a", "t")
    buf.push(5, "b", "t")
    assert buf.pop_until(5) == ["a", "b"]
