"""Entry point the Pulumi CLI runs for ``--policy-pack policies``; blocks serving the pack."""

from components.policies import serve

serve()
