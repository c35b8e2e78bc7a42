"""Pulumi program of the mlops-platform stacks: validate config, compose components, export."""

from infra.stack import build, read_config

build(*read_config())
