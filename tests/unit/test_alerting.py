"""Dashboard building blocks of the monitoring stack."""

from __future__ import annotations

import pytest

from components.alerting import ref_id

pytestmark = pytest.mark.unit


def test_dashboard_query_ids_stay_letters_past_z() -> None:
    # A panel has one query per endpoint; a stack with 200 endpoints used to get "Ó".
    assert [ref_id(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip
