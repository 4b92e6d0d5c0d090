"""Read the plain-text tables KITTI files are made of, reporting bad lines by file and line number."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from fusion.core.errors import InputError

Column = tuple[str, type]  # (name, int | float | str)


def where(path: str | Path, line_no: int | None = None) -> str:
    """The `file:line` source string every KITTI error starts with."""
    return f"{path}:{line_no}" if line_no is not None else str(path)


def _convert(text: str, kind: type, name: str, source: str) -> object:
    try:
        value = kind(text)
    except ValueError:
        raise InputError(source, f"column {name!r} is not {'an integer' if kind is int else 'a number'}: {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise InputError(source, f"column {name!r} is not finite: {text!r}")
    return value


def read_table(path: str | Path, columns: Sequence[Column], separator: str | None = None,
               optional: int = 0, check_row: Callable[[dict[str, object], str], None] | None = None
               ) -> dict[str, np.ndarray]:
    """Columns of a text table as arrays (empty arrays for an empty file).

    `separator` None splits on whitespace; the last `optional` columns may be missing (their arrays
    hold NaN for float and -1 for int where absent). `check_row(row, source)` may raise InputError
    for a row that parses but is invalid. Blank lines are skipped.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read: {exc}") from None
    required = len(columns) - optional
    values: list[list[object]] = [[] for _ in columns]
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        source = where(path, line_no)
        fields = [f.strip() for f in line.split(separator)] if separator else line.split()
        if not required <= len(fields) <= len(columns):
            expected = str(len(columns)) if not optional else f"{required} to {len(columns)}"
            raise InputError(source, f"expected {expected} {'comma-separated ' if separator == ',' else ''}fields "
                                     f"({' '.join(name for name, _ in columns)}), got {len(fields)}")
        row = {name: _convert(f, kind, name, source) if kind is not str else f
               for (name, kind), f in zip(columns, fields)}
        for name, kind in columns[len(fields):]:
            row[name] = math.nan if kind is float else -1
        if check_row is not None:
            check_row(row, source)
        for column, (name, _) in zip(values, columns):
            column.append(row[name])
    dtypes = {int: np.int64, float: np.float64, str: object}
    return {name: np.asarray(column, dtype=dtypes[kind]) for column, (name, kind) in zip(values, columns)}


def check_frame(frame: int, n_frames: int | None, source: str) -> None:
    """Frames are 0-based and must lie in the sequence (seqmap length) when it is known."""
    if frame < 0 or (n_frames is not None and frame >= n_frames):
        limit = f"0..{n_frames - 1}" if n_frames is not None else ">= 0"
        raise InputError(source, f"frame {frame} out of range (the sequence has frames {limit})")
