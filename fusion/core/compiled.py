"""numba-compiled functions, as Taishan uses them for per-track and per-point loops.

`@compiled` compiles a function the first time it is called with a new combination of argument
types, caches the machine code on disk (in the module's __pycache__, so only the first use on a
machine pays the compile time) and releases the GIL. A module that defines compiled functions calls
each once at import with arguments of the types its callers pass (C-contiguous float and int
arrays), so that loading them from the cache happens at import and not inside a timed loop.

`@compiled(signature)` compiles (or loads) one signature at import instead; calls convert their
arguments to it. With `readonly_vector` parameters a kernel takes read-only and writable arrays of
any layout alike (one machine-code version, not one per combination of flags and strides).
"""
from __future__ import annotations

from typing import Any

import numba
from numba import types

vector = types.Array(types.float64, 1, "C")
readonly_vector = types.Array(types.float64, 1, "A", readonly=True)

_just_in_time = numba.njit(cache=True, nogil=True)


def compiled(function_or_signature: Any) -> Any:
    """The decorator (module docstring)."""
    if callable(function_or_signature):
        return _just_in_time(function_or_signature)
    return numba.njit(function_or_signature, cache=True, nogil=True)
