"""The team's own naming rules (a name this package must not ship)."""
