"""Availability zones by ID, as pure functions: which zones a network may use."""

import re

EKS_UNSUPPORTED_ZONE_IDS = ("use1-az3", "usw1-az2", "cac1-az3")
"""Zone IDs whose subnets EKS refuses for a control plane (UnsupportedAvailabilityZoneException):
eksctl's ``zoneIDsToAvoid`` (pkg/az/az.go at v0.230.0, commit 99984adb, read 2026-12-07), the list
the EKS user guide gives under "Subnet requirements". Zone IDs are the same in every account."""
ZONE_ID = re.compile(r"^[a-z]{2,}[0-9]+-az[0-9]+$")
"""An availability zone ID (``use1-az1``, ``euw1-az2``, ``usgw1-az1``): unlike a zone name it
names the same physical zone in every account."""


def zone_id_problems(zone_ids: list[str], az_count: int) -> list[str]:
    """What is wrong with an explicit list of zone IDs for ``az_count`` zones (empty when valid)."""
    problems = [
        f"{zone!r} is not an availability zone ID such as use1-az1 (zone names like us-east-1a differ per account)"
        for zone in zone_ids
        if not ZONE_ID.match(zone)
    ]
    problems += [
        f"{zone!r}: EKS refuses control-plane subnets in this zone (UnsupportedAvailabilityZoneException)"
        for zone in zone_ids
        if zone in EKS_UNSUPPORTED_ZONE_IDS
    ]
    if len(set(zone_ids)) != len(zone_ids):
        problems.append(f"zone IDs must be distinct (got {zone_ids})")
    if len(zone_ids) != az_count:
        problems.append(f"needs one zone ID per AZ: exactly {az_count} (got {len(zone_ids)})")
    return problems


def choose_zone_ids(available: list[str], az_count: int, requested: list[str] | None = None) -> list[str]:
    """The zone IDs the subnets go to: ``requested`` when given (each must be offered), else the
    first ``az_count`` of ``available`` that EKS accepts. Raises ValueError naming what the region offers."""
    usable = [zone for zone in available if zone not in EKS_UNSUPPORTED_ZONE_IDS]
    if requested is not None:
        missing = [zone for zone in requested if zone not in available]
        if missing:
            raise ValueError(f"availability zone IDs {missing} are not offered in this region (offered: {available})")
        return list(requested)
    if len(usable) < az_count:
        raise ValueError(f"az_count={az_count} but the region offers only {len(usable)} zones EKS accepts ({usable})")
    return usable[:az_count]
