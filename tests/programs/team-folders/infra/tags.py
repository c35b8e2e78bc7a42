"""The team's tags."""

import pulumi


def team_tags() -> dict[str, str]:
    """Tags the platform's policy pack requires."""
    return {"team": pulumi.Config().require("team"), "cost-center": "cc-42", "environment": pulumi.get_stack()}
