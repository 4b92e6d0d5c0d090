"""Launch substitutions `$(name arg ...)` in strings, nested as in `$(not $(var camera))`.

Supported: var NAME; env NAME [DEFAULT]; find-pkg-share PKG; dirname (the folder of the current
launch file); not X; and X Y; or X Y; equals X Y. Arguments are separated by spaces and may be
quoted with ' or ". Any other substitution (eval, command, find-exec, ...) is an error naming it.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from fusion.launch_yaml.document import LaunchError

TRUE_WORDS, FALSE_WORDS = ("true", "1"), ("false", "0")


@dataclass
class Scope:
    """What substitutions read: the launch configurations (arguments and `let`s), the current file,
    and the pushed ROS namespace."""

    configurations: dict[str, str]
    file: Path
    namespace: str = ""
    declared: dict[str, str] = field(default_factory=dict)   # argument name -> description, for errors

    def child(self) -> Scope:
        """A copy for a scoped group: what it sets is forgotten when the group ends."""
        return Scope(dict(self.configurations), self.file, self.namespace, self.declared)


def as_bool(text: str, where: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise LaunchError(where, f"expected a boolean (true, false, 1 or 0), got {text!r}")


def package_share(package: str, where: str) -> Path:
    """share/<package> in an ament prefix (AMENT_PREFIX_PATH), or this source tree for taishan
    (the repository root is the package root: launch/, configs/)."""
    for prefix in filter(None, os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep)):
        share = Path(prefix) / "share" / package
        if (share / "package.xml").is_file():
            return share
    if package == "taishan":
        for candidate in (Path(__file__).resolve().parents[2], Path(sys.prefix) / "share" / "taishan"):
            if (candidate / "package.xml").is_file():
                return candidate
    raise LaunchError(where, f"package {package!r} not found (not in AMENT_PREFIX_PATH)")


def _split_arguments(text: str, where: str) -> list[str]:
    """Split `text` at top-level spaces, honouring quotes and nested $(...)."""
    args, current, depth, quote, i = [], "", 0, "", 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
            else:
                current += c
        elif c in "'\"" and depth == 0:
            quote = c
        elif text.startswith("$(", i):
            depth += 1
            current += "$("
            i += 1
        elif c == ")" and depth:
            depth -= 1
            current += c
        elif c.isspace() and depth == 0:
            if current:
                args.append(current)
            current = ""
        else:
            current += c
        i += 1
    if quote:
        raise LaunchError(where, f"unterminated {quote} quote in substitution arguments {text!r}")
    if current:
        args.append(current)
    return args


def _closing(text: str, start: int, where: str) -> int:
    """Index of the ')' closing the '$(' at `start`."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        c = text[i]
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"" and depth:
            quote = c
        elif text.startswith("$(", i):
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
    raise LaunchError(where, f"unclosed substitution in {text!r}")


def _count(args: list[str], low: int, high: int, name: str, where: str) -> None:
    if not low <= len(args) <= high:
        wanted = str(low) if low == high else f"{low} to {high}"
        raise LaunchError(where, f"$({name}) takes {wanted} argument(s), got {len(args)}: {args}")


def _var(args: list[str], scope: Scope, where: str) -> str:
    _count(args, 1, 1, "var", where)
    name = args[0]
    if name not in scope.configurations:
        hint = f" (declared arguments: {', '.join(sorted(scope.declared)) or 'none'})"
        raise LaunchError(where, f"launch configuration {name!r} is not set{hint}")
    return scope.configurations[name]


def _env(args: list[str], scope: Scope, where: str) -> str:
    _count(args, 1, 2, "env", where)
    if args[0] in os.environ:
        return os.environ[args[0]]
    if len(args) == 2:
        return args[1]
    raise LaunchError(where, f"environment variable {args[0]!r} is not set (give a default: $(env {args[0]} DEFAULT))")


def _logic(name: str, combine: Callable[[list[bool]], bool], arity: int) -> Callable[[list[str], Scope, str], str]:
    def run(args: list[str], scope: Scope, where: str) -> str:
        _count(args, arity, arity, name, where)
        return "true" if combine([as_bool(a, where) for a in args]) else "false"

    return run


def _find_pkg_share(args: list[str], scope: Scope, where: str) -> str:
    _count(args, 1, 1, "find-pkg-share", where)
    return str(package_share(args[0], where))


def _dirname(args: list[str], scope: Scope, where: str) -> str:
    _count(args, 0, 0, "dirname", where)
    return str(scope.file.parent)


def _equals(args: list[str], scope: Scope, where: str) -> str:
    _count(args, 2, 2, "equals", where)
    return "true" if args[0] == args[1] else "false"


SUBSTITUTIONS: dict[str, Callable[[list[str], Scope, str], str]] = {
    "var": _var,
    "env": _env,
    "find-pkg-share": _find_pkg_share,
    "dirname": _dirname,
    "not": _logic("not", lambda v: not v[0], 1),
    "and": _logic("and", all, 2),
    "or": _logic("or", any, 2),
    "equals": _equals,
}


def substitute(text: str, scope: Scope, where: str) -> str:
    """`text` with every $(...) evaluated, innermost first."""
    out, i = "", 0
    while True:
        start = text.find("$(", i)
        if start < 0:
            return out + text[i:]
        end = _closing(text, start, where)
        out += text[i:start]
        inner = text[start + 2:end]
        name, _, rest = inner.strip().partition(" ")
        if name not in SUBSTITUTIONS:
            raise LaunchError(where, f"substitution $({name} ...) is not supported by taishan launch "
                                     f"(supported: {', '.join(SUBSTITUTIONS)})")
        args = [substitute(a, scope, where) for a in _split_arguments(rest, where)]
        out += SUBSTITUTIONS[name](args, scope, where)
        i = end + 1
