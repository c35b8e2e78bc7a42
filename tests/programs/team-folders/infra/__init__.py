"""The team's own infra helpers (a name this package must not ship)."""
