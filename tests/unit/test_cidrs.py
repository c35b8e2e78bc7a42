"""Public address space admitted by CIDR lists, judged together (components/cidrs.py)."""

from __future__ import annotations

import pytest

from components.cidrs import public_addresses, too_broad

pytestmark = pytest.mark.unit

WHOLE_V4_PUBLIC = 3_702_259_456
"""2**32 minus the special-purpose blocks components.cidrs lists."""


@pytest.mark.parametrize(
    ("cidrs", "v4", "v6"),
    [
        (["0.0.0.0/0"], WHOLE_V4_PUBLIC, 0),
        (["0.0.0.0/1", "128.0.0.0/1"], WHOLE_V4_PUBLIC, 0),
        ([f"{64 * i}.0.0.0/2" for i in range(4)], WHOLE_V4_PUBLIC, 0),
        (["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"], 0, 0),
        (["1.2.3.0/24", "1.2.3.0/25", "1.2.3.4/32"], 256, 0),
        (["::/0"], 0, 2**125),
        (["fc00::/7", "fe80::/10"], 0, 0),
        (["not-a-cidr", "1.2.3.4"], 1, 0),
    ],
)
def test_public_addresses_count_overlaps_once(cidrs: list[str], v4: int, v6: int) -> None:
    assert public_addresses(cidrs) == (v4, v6)


@pytest.mark.parametrize(
    ("cidrs", "broadest", "verdict"),
    [
        (["1.2.0.0/16"], 16, None),
        (
            ["1.2.0.0/16", "1.3.0.0/24"],
            16,
            "1.2.0.0/16, 1.3.0.0/24: 65,792 public IPv4 addresses in total, more than a /16",
        ),
        (["1.2.0.0/16", "1.3.0.0/24"], 15, None),
        (["2001:db8::/48"], 16, None),
        (["2001:db8::/47"], 16, "2001:db8::/47: more public IPv6 space in total than a /48"),
        ([f"1.{i}.0.0/24" for i in range(6)], 24, "1.0.0.0/24, 1.1.0.0/24, 1.2.0.0/24, 1.3.0.0/24 and 2 more: 1,536"),
    ],
)
def test_too_broad(cidrs: list[str], broadest: int, verdict: str | None) -> None:
    found = too_broad(cidrs, broadest)
    assert found == verdict if verdict is None else (found or "").startswith(verdict)
