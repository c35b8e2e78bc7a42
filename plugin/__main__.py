"""Entry point the Pulumi CLI runs for ``pulumi package add`` (PulumiPlugin.yaml)."""

from components.provider import main

main()
