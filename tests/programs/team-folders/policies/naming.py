"""The team's resource names."""


def bucket_name(purpose: str) -> str:
    """``ranking-<purpose>``."""
    return f"ranking-{purpose}"
