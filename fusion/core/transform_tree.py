"""A tf-like tree of frames: static extrinsics from configs and time-stamped dynamic poses.

Each frame has one parent. `lookup(target, source, stamp_ns)` returns T_target_source (it maps
points from `source` into `target`), interpolating dynamic edges at the stamp. Unknown frames,
disconnected frames and stamps outside a dynamic edge's buffer raise errors that name them.

Lookups sit on the tracker's per-measurement path, so the route between two frames is worked out
once (until an edge is added or a static transform changes): runs of static edges are composed
ahead of time, and a route without dynamic edges is answered from that cache outright. A lookup
then costs one interpolation and one composition per dynamic edge on the route.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from fusion.core.errors import InputError, UnknownFrameError
from fusion.core.transform import Transform


@dataclass
class _DynamicEdge:
    stamps: list[int] = field(default_factory=list)
    transforms: list[Transform] = field(default_factory=list)


_IDENTITY = Transform.identity().read_only()

# One side of a route, from a frame up to the common ancestor: a static run composed into one
# Transform, or a dynamic edge named by its child frame.
_Steps = tuple["Transform | str", ...]


@dataclass(frozen=True)
class _Route:
    source: _Steps         # composes T_common_source
    target: _Steps         # composes T_common_target
    fixed: Transform | None   # T_target_source itself when no edge of the route is dynamic


class TransformTree:
    """Static and dynamic transforms between named frames (REP 105: map -> odom -> base_link -> sensors)."""

    def __init__(self, buffer_duration_ns: int = 10_000_000_000, extrapolation_tolerance_ns: int = 0):
        """buffer_duration_ns: how much history each dynamic edge keeps behind its newest stamp;
        extrapolation_tolerance_ns: how far past either end of a dynamic edge a lookup may hold
        the end pose instead of failing."""
        self.buffer_duration_ns = int(buffer_duration_ns)
        self.extrapolation_tolerance_ns = int(extrapolation_tolerance_ns)
        self._parent: dict[str, str] = {}
        self._static: dict[str, Transform] = {}
        self._dynamic: dict[str, _DynamicEdge] = {}
        self._frames: frozenset[str] = frozenset()
        self._routes: dict[tuple[str, str], _Route] = {}

    @property
    def frames(self) -> frozenset[str]:
        return self._frames

    def _claim_child(self, parent: str, child: str) -> None:
        if not parent or not child:
            raise InputError("transform tree", f"empty frame id in edge {parent!r} -> {child!r}")
        if parent == child:
            raise InputError("transform tree", f"frame {child!r} cannot be its own parent")
        known = self._parent.get(child)
        if known is not None and known != parent:
            raise InputError("transform tree", f"frame {child!r} already has parent {known!r}, cannot re-parent to {parent!r}")
        ancestor = parent
        while ancestor in self._parent:
            ancestor = self._parent[ancestor]
            if ancestor == child:
                raise InputError("transform tree", f"edge {parent!r} -> {child!r} would close a loop")
        if known is None:
            self._parent[child] = parent
            self._frames = self._frames | {parent, child}
            self._routes.clear()

    def set_static(self, parent: str, child: str, transform: Transform) -> None:
        """A fixed transform T_parent_child (sensor extrinsics)."""
        if child in self._dynamic:
            raise InputError("transform tree", f"edge {parent!r} -> {child!r} is dynamic, cannot also be static")
        self._claim_child(parent, child)
        known = self._static.get(child)
        if known is None or not (np.array_equal(known.translation, transform.translation)
                                 and np.array_equal(known.rotation, transform.rotation)):
            self._static[child] = transform
            self._routes.clear()

    def add_dynamic(self, parent: str, child: str, stamp_ns: int, transform: Transform) -> None:
        """A time-stamped T_parent_child (e.g. map -> base_link from the ego estimator).

        Stamps may arrive out of order; a repeated stamp replaces the earlier pose. History older
        than buffer_duration_ns behind the newest stamp is dropped.
        """
        if child in self._static:
            raise InputError("transform tree", f"edge {parent!r} -> {child!r} is static, cannot also be dynamic")
        self._claim_child(parent, child)
        edge = self._dynamic.setdefault(child, _DynamicEdge())
        stamp_ns = int(stamp_ns)
        i = bisect.bisect_left(edge.stamps, stamp_ns)
        if i < len(edge.stamps) and edge.stamps[i] == stamp_ns:
            edge.transforms[i] = transform
        else:
            edge.stamps.insert(i, stamp_ns)
            edge.transforms.insert(i, transform)
        cutoff = edge.stamps[-1] - self.buffer_duration_ns
        drop = bisect.bisect_left(edge.stamps, cutoff)
        if drop:
            del edge.stamps[:drop]
            del edge.transforms[:drop]

    def _edge(self, child: str, stamp_ns: int | None) -> Transform:
        if child in self._static:
            return self._static[child]
        edge = self._dynamic[child]
        if stamp_ns is None:
            return edge.transforms[-1]
        stamps = edge.stamps
        i = bisect.bisect_left(stamps, stamp_ns)
        if i < len(stamps) and stamps[i] == stamp_ns:
            return edge.transforms[i]
        if i == 0 or i == len(stamps):
            end = 0 if i == 0 else len(stamps) - 1
            gap = abs(stamp_ns - stamps[end])
            if gap <= self.extrapolation_tolerance_ns:
                return edge.transforms[end]
            raise InputError(
                f"transform {self._parent[child]} -> {child}",
                f"stamp {stamp_ns} ns is outside the buffered range [{stamps[0]}, {stamps[-1]}] ns by {gap / 1e6:.1f} ms",
            )
        t0, t1 = stamps[i - 1], stamps[i]
        return edge.transforms[i - 1].interpolate(edge.transforms[i], (stamp_ns - t0) / (t1 - t0))

    def _chain_to_root(self, frame: str) -> list[str]:
        chain = [frame]
        while chain[-1] in self._parent:
            chain.append(self._parent[chain[-1]])
        return chain

    def _check_frame(self, frame: str) -> None:
        if frame not in self._frames:
            known = ", ".join(sorted(self._frames)) or "none"
            raise UnknownFrameError(f"frame {frame!r}", f"unknown frame (known frames: {known})")

    def _steps(self, children: list[str]) -> _Steps:
        """The edges of `children` (each frame's edge to its parent, from the bottom up) as steps,
        consecutive static edges composed into one transform."""
        steps: list[Transform | str] = []
        for child in children:
            if child in self._dynamic:
                steps.append(child)
            elif steps and isinstance(steps[-1], Transform):
                steps[-1] = self._static[child] @ steps[-1]
            else:
                steps.append(self._static[child])
        return tuple(steps)

    def _route(self, target: str, source: str) -> _Route:
        self._check_frame(target)
        self._check_frame(source)
        up_source = self._chain_to_root(source)
        up_target = self._chain_to_root(target)
        if up_source[-1] != up_target[-1]:
            raise UnknownFrameError(
                f"frames {target!r} and {source!r}",
                f"not connected (roots {up_target[-1]!r} and {up_source[-1]!r})",
            )
        on_target = set(up_target)
        common = next(f for f in up_source if f in on_target)
        source_steps = self._steps(up_source[: up_source.index(common)])
        target_steps = self._steps(up_target[: up_target.index(common)])
        fixed = None
        if not any(isinstance(step, str) for step in source_steps + target_steps):
            fixed = self._compose(source_steps, target_steps, None).read_only()
        route = _Route(source_steps, target_steps, fixed)
        self._routes[(target, source)] = route
        return route

    def _compose(self, source_steps: _Steps, target_steps: _Steps, stamp_ns: int | None) -> Transform:
        """T_target_source = T_common_target^-1 @ T_common_source."""
        sides = []
        for steps in (source_steps, target_steps):
            acc = None
            for step in steps:
                t = self._edge(step, stamp_ns) if isinstance(step, str) else step
                acc = t if acc is None else t @ acc
            sides.append(acc)
        t_common_source, t_common_target = sides
        if t_common_target is None:
            return t_common_source if t_common_source is not None else Transform.identity()
        inverse = t_common_target.inverse()
        return inverse if t_common_source is None else inverse @ t_common_source

    def lookup(self, target: str, source: str, stamp_ns: int | None = None) -> Transform:
        """T_target_source at stamp_ns (latest dynamic poses when stamp_ns is None)."""
        if target == source:
            return _IDENTITY
        route = self._routes.get((target, source)) or self._route(target, source)
        if route.fixed is not None:
            return route.fixed
        return self._compose(route.source, route.target, stamp_ns)

    def can_transform(self, target: str, source: str, stamp_ns: int | None = None) -> bool:
        try:
            self.lookup(target, source, stamp_ns)
        except InputError:
            return False
        return True
