"""The plugin the Pulumi CLI runs from an installed wheel (``--policy-pack <this directory>``); blocks serving."""

from components.policies import serve

serve()
