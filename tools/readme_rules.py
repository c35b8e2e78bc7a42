"""``python -m tools.readme_rules``: rewrite the README's rule table from :mod:`components.policies.pack`."""

from __future__ import annotations

import sys
from pathlib import Path

from components.policies.pack import RULES, table
from tools.sections import with_marked_section

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "policies"
"""The README's ``<!-- policies:start -->`` ... ``<!-- policies:end -->`` markers."""


def main() -> None:
    """Replace the README's rule table."""
    README.write_text(with_marked_section(README.read_text(), SECTION, table()))
    print(f"{README}: {len(RULES)} rules", file=sys.stderr)


if __name__ == "__main__":
    main()
