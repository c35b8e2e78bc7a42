"""The README's generated sections: the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``."""

from __future__ import annotations


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def marked_section(text: str, name: str) -> str:
    """The text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` (a generated part of
    the README), stripped."""
    start, end = _markers(name)
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def with_marked_section(text: str, name: str, body: str) -> str:
    """``text`` with the part between its ``NAME`` markers replaced by ``body``."""
    start, end = _markers(name)
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{body}\n{end}{rest.split(end, 1)[1]}"
