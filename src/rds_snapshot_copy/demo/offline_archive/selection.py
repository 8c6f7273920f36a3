"""Which files `archive_file` (hashicorp/archive >= 2.4) takes from a `source_dir`, and under which names.

The real provider walks the directory in lexical order (Go's filepath.Walk) and tests every path, relative
to source_dir, against each `excludes` pattern with doublestar v4's PathMatch:

* the walk's own top is tested too, as "." (so a pattern that matches "." excludes everything);
* a matching directory is skipped whole, a matching file is left out;
* a symlink is tested under its own name, then followed: a file's content is taken, a directory is
  walked with its files named below the symlink's name (unless `exclude_symlink_directories`);
* nothing to take at all is an error ("archive has not been created as it would be empty").

Patterns: `*` any run of characters but `/`, `?` one such character, `[...]`/`[!...]`/`[^...]` a class,
`{a,b}` alternatives, `\\` escapes, and `**` as a whole path segment zero or more directories: `**/x`
matches `x` at the top too, and `a/**` matches `a` itself as well as everything below it. A `**` that is
not a whole segment (`**.py`) is a plain `*`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path


class ArchiveError(ValueError):
    """A configuration or a source directory that the real provider would reject too."""


def _split_alternatives(body: str) -> list[str]:
    """`a,b{c,d},e` -> ["a", "b{c,d}", "e"]: split on the commas at the top level of a `{...}`."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    return parts


def _closing(pattern: str, start: int, opening: str, closing: str) -> int:
    """Index of the `closing` that matches the `opening` just before `start`, or -1."""
    depth, i = 1, start
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == opening and opening != closing:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def expand_braces(pattern: str) -> list[str]:
    """Every pattern that `{...}` alternatives stand for (doublestar matches any of them)."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "{":
            end = _closing(pattern, i + 1, "{", "}")
            if end == -1:
                raise ArchiveError(f"bad exclude pattern {pattern!r}: no closing '}}'")
            head, tail = pattern[:i], pattern[end + 1 :]
            return [
                expanded
                for alternative in _split_alternatives(pattern[i + 1 : end])
                for expanded in expand_braces(head + alternative + tail)
            ]
        i += 1
    return [pattern]


def _class_to_regex(pattern: str, start: int) -> tuple[str, int]:
    """The regex of the character class whose `[` is at `start - 1`, and the index after its `]`."""
    i = start
    negate = i < len(pattern) and pattern[i] in "!^"
    if negate:
        i += 1
    if i >= len(pattern) or pattern[i] == "]":
        raise ArchiveError(f"bad exclude pattern {pattern!r}: empty or unclosed character class")
    out = []
    while i < len(pattern) and pattern[i] != "]":
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            i += 1
            char = pattern[i]
        if char == "-" and out and i + 1 < len(pattern) and pattern[i + 1] != "]":
            out.append("-")
        else:
            out.append(re.escape(char))
        i += 1
    if i >= len(pattern):
        raise ArchiveError(f"bad exclude pattern {pattern!r}: no closing ']'")
    return ("[^" if negate else "[") + "".join(out) + "]", i + 1


def _to_regex(pattern: str) -> str:
    """The regex of one brace-free doublestar pattern, `/` as the separator."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        at_segment_start = i == 0 or pattern[i - 1] == "/"
        if pattern.startswith("**", i) and at_segment_start:
            rest = pattern[i + 2 :]
            if rest == "":
                # `**` ends the pattern: anything below; after a `/`, that `/` is optional (`a/**` is `a` too).
                if out and out[-1] == "/":
                    out[-1] = "(?:/.*)?"
                else:
                    out.append(".*")
                i = n
                continue
            if rest.startswith("/"):
                out.append("(?:.*/)?")  # zero or more whole directories
                i += 3
                continue
            out.append("[^/]*")  # `**x`: a plain star
            i += 2
            continue
        char = pattern[i]
        if char == "*":
            while i < n and pattern[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[":
            regex, i = _class_to_regex(pattern, i + 1)
            out.append(regex)
            continue
        elif char == "\\":
            if i + 1 >= n:
                raise ArchiveError(f"bad exclude pattern {pattern!r}: ends with an escape")
            i += 1
            out.append(re.escape(pattern[i]))
        elif char == "/":
            out.append("/")
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{_to_regex(p)})" for p in expand_braces(pattern)), re.DOTALL)


def matches(pattern: str, path: str) -> bool:
    """Whether doublestar's PathMatch(pattern, path) holds, for a `/`-separated relative path."""
    return compile_pattern(pattern).fullmatch(path) is not None


def is_excluded(path: str, excludes: Iterable[str]) -> bool:
    return any(pattern and matches(pattern, path) for pattern in excludes)


def select_files(
    source_dir: Path, excludes: Iterable[str] = (), exclude_symlink_directories: bool = False
) -> dict[str, Path]:
    """{name in the zip: file on disk} of what archive_file would take from `source_dir`, in walk order."""
    excludes = [p for p in excludes if p]
    for pattern in excludes:
        compile_pattern(pattern)  # a bad pattern fails even if no path reaches it
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise ArchiveError(f"could not archive missing directory: {source_dir}")
    selected: dict[str, Path] = {}
    if is_excluded(".", excludes):
        raise ArchiveError("archive has not been created as it would be empty")
    _walk(source_dir, "", excludes, exclude_symlink_directories, selected)
    if not selected:
        raise ArchiveError("archive has not been created as it would be empty")
    return selected


def _walk(directory: Path, prefix: str, excludes: list[str], skip_symlink_dirs: bool, out: dict[str, Path]) -> None:
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        name = f"{prefix}/{entry.name}" if prefix else entry.name
        excluded = is_excluded(name, excludes)
        if entry.is_dir(follow_symlinks=False):
            if not excluded:
                _walk(Path(entry.path), name, excludes, skip_symlink_dirs, out)
            continue
        if excluded:
            continue
        path = Path(entry.path)
        if entry.is_symlink():
            target = Path(os.path.realpath(path))
            if not target.exists():
                raise ArchiveError(f"broken symlink in the source directory: {path} -> {os.readlink(path)}")
            if target.is_dir():
                if not skip_symlink_dirs:
                    _walk(target, name, excludes, skip_symlink_dirs, out)
                continue
        out[name] = path
