"""Offline planning: run a Pulumi program under mocks, check policies, write ``plan.json``."""
