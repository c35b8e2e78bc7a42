"""Declares one program of ``tests/policy/insecure_programs.py``: config ``insecure:mistake``
names a mistake, or a secure counterpart with ``insecure:secure``."""

import pulumi

from tests.policy.insecure_programs import PROGRAMS, SECURE

config = pulumi.Config()
mistake = config.get("mistake")
if mistake is not None:
    PROGRAMS[mistake][0]()
else:
    SECURE[config.require("secure")]()
