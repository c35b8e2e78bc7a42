"""How much of the internet a list of CIDR blocks admits, judged by the public address space
the blocks cover together: ``0.0.0.0/1`` and ``128.0.0.0/1`` are the whole internet, as
``0.0.0.0/0`` is. Used by the stack config and by the policies, so both judge alike."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

BROADEST_PUBLIC_PREFIX = 16
"""The most public space a list of CIDR blocks may admit in total, as a prefix length: one /16
of IPv4 (65,536 addresses) and one /48 of IPv6 (the prefix plus 32 bits)."""

_IPV6_EXTRA_BITS = 32

_NOT_PUBLIC_V4 = [
    ipaddress.IPv4Network(block)
    for block in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
    )
]
"""IANA special-purpose IPv4 blocks (RFC 6890) that no internet host sends from; disjoint."""
_PUBLIC_V6 = ipaddress.IPv6Network("2000::/3")
"""IPv6 global unicast: every other IPv6 address is not on the internet."""


def public_addresses(cidrs: Iterable[str]) -> tuple[int, int]:
    """The public IPv4 and IPv6 addresses the blocks admit together (overlaps counted once);
    entries that are no CIDR block are skipped (the caller checks syntax)."""
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            continue
        (v4 if isinstance(network, ipaddress.IPv4Network) else v6).append(network)  # pyright: ignore[reportArgumentType]
    count_v4 = sum(
        net.num_addresses - sum(_overlap(net, private) for private in _NOT_PUBLIC_V4)
        for net in ipaddress.collapse_addresses(v4)
    )
    count_v6 = sum(_overlap(net, _PUBLIC_V6) for net in ipaddress.collapse_addresses(v6))
    return count_v4, count_v6


def too_broad(cidrs: Iterable[str], broadest_prefix: int = BROADEST_PUBLIC_PREFIX) -> str | None:
    """Why the blocks admit too much of the internet (more public space than one
    ``/broadest_prefix`` of IPv4, or one ``/(broadest_prefix + 32)`` of IPv6, in total), or None."""
    given = list(cidrs)
    v4, v6 = public_addresses(given)
    shown = ", ".join(given[:4]) + (f" and {len(given) - 4} more" if len(given) > 4 else "")
    limit_v6 = broadest_prefix + _IPV6_EXTRA_BITS
    if v4 > 2 ** (32 - broadest_prefix):
        return f"{shown}: {v4:,} public IPv4 addresses in total, more than a /{broadest_prefix}"
    if v6 > 2 ** (128 - limit_v6):
        return f"{shown}: more public IPv6 space in total than a /{limit_v6}"
    return None


def _overlap(
    net: ipaddress.IPv4Network | ipaddress.IPv6Network, other: ipaddress.IPv4Network | ipaddress.IPv6Network
) -> int:
    if net.version != other.version or not net.overlaps(other):
        return 0
    return min(net.num_addresses, other.num_addresses)  # CIDR blocks overlap only by containment


DOCUMENTATION_RANGES = [
    ipaddress.ip_network(block) for block in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
"""TEST-NET-1/2/3 (RFC 5737) and IPv6's documentation prefix (RFC 3849): reserved for examples, never
routed, so no client sends from them."""


def documentation_only(cidr: str) -> bool:
    """Whether a block lies inside a documentation range: it admits nobody (an example value left in
    place). A malformed block is not (the caller checks syntax)."""
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    return any(
        network.version == doc.version and network.subnet_of(doc)  # pyright: ignore[reportArgumentType]
        for doc in DOCUMENTATION_RANGES
    )


def admits_public_addresses(cidr: str) -> bool:
    """Whether a block admits any internet address (IANA special-purpose blocks are not)."""
    return public_addresses([cidr]) != (0, 0)
