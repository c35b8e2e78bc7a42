"""mlops-platform components: secure-by-default Pulumi building blocks for ML platforms on AWS.

Kept light on purpose: each component lives in its own module and is imported from there
(``from components.artifact_bucket import ArtifactBucket``), so importing the package does
not pull in every provider SDK. ``components.plan`` holds the offline planner (``mlops plan``).
"""
