"""Entry point the Pulumi CLI runs for ``--policy-pack policies``; blocks serving the pack."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.pack import POLICIES

PolicyPack(name="mlops-platform", enforcement_level=EnforcementLevel.ADVISORY, policies=POLICIES)
