"""``python -m policies.readme``: rewrite the README's rule table from :mod:`policies.pack`."""

from __future__ import annotations

import sys
from pathlib import Path

from policies.pack import RULES, table

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- policies:start -->", "<!-- policies:end -->"


def section(readme: str) -> str:
    """The text between the README's policy markers."""
    return readme.split(START, 1)[1].split(END, 1)[0].strip()


def main() -> None:
    """Replace the README's rule table."""
    text = README.read_text()
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(f"{head}{START}\n{table()}\n{END}{tail}")
    print(f"{README}: {len(RULES)} rules", file=sys.stderr)


if __name__ == "__main__":
    main()
