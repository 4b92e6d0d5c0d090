"""numba-compiled functions, as Taishan uses them for per-track and per-point loops.

`@compiled` compiles a function the first time it is called with a new combination of argument
types, caches the machine code on disk (in the module's __pycache__, so only the first use on a
machine pays the compile time) and releases the GIL. A module that defines compiled functions calls
each once at import with arguments of the types its callers pass (C-contiguous float and int
arrays), so that loading them from the cache happens at import and not inside a timed loop.
"""
from __future__ import annotations

import numba

compiled = numba.njit(cache=True, nogil=True)
