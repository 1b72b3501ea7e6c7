r"""One regex from many alternatives, arranged so that Python's ``re`` skips non-word positions fast.

``re`` tries every alternative at every position of the text. Most of the reader checks'
alternatives start with ``\b``; grouped behind one ``\b``, they are tried only where a word
starts, which makes the long phrase lists about twice as fast on ordinary copy. The leftmost
match is the same; among alternatives matching at one position, the ``\b`` ones are tried first.
"""

from __future__ import annotations

import re


def top_level_alternatives(pattern: str) -> list[str]:
    """``pattern`` split at its top-level ``|`` (not inside groups or character classes)."""
    out: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":  # "[]...]": a leading "]" is a literal
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*out, pattern[start:]]


def compile_alternatives(*patterns: str, flags: int = 0) -> re.Pattern[str]:
    """One compiled pattern matching where any of ``patterns`` matches."""
    alternatives = [a for p in patterns for a in top_level_alternatives(p)]
    words = [a[2:] for a in alternatives if a.startswith(r"\b")]
    rest = [a for a in alternatives if not a.startswith(r"\b")]
    grouped = [r"\b(?:" + "|".join(f"(?:{w})" for w in words) + ")"] if words else []
    return re.compile("|".join(grouped + [f"(?:{a})" for a in rest]), flags)
