"""What a CI job needs from its runner, checked before it touches a stack (README, "Runners").

Usage: python .github/scripts/preflight.py --tools aws,docker [--cluster NAME] [--timeout-minutes N
[--credentials-seconds S]]. Prints one line per problem and exits 1 when there is any, so a job on a
runner that cannot do its work fails in seconds instead of an hour into an update.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
from urllib.parse import urlparse

WHY = {
    "aws": "the kubeconfig runs `aws eks get-token` and the drift job publishes with `aws sns`",
    "docker": "the stack builds images with pulumi_docker, which needs a running Docker engine",
    "git": "the program and the plan diff read the repository",
    "gh": "the job comments on pull requests or opens issues",
    "uv": "the project installs with uv (Pulumi.yaml runtime toolchain)",
}
SLACK_SECONDS = 300
"""Credentials must outlive the job's timeout by this much: the last step still signs requests."""


def missing_tools(tools: list[str]) -> list[str]:
    """Problems for each tool that is not on PATH (docker: also a daemon that answers)."""
    problems: list[str] = []
    for tool in tools:
        if shutil.which(tool) is None:
            problems.append(f"`{tool}` is not on PATH: {WHY.get(tool, 'the job runs it')}")
        elif tool == "docker" and subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
            problems.append(f"`docker info` fails: no Docker engine answers ({WHY['docker']})")
    return problems


def credential_problem(credentials_seconds: int, timeout_minutes: int) -> str | None:
    """A problem when the credentials would expire before the job's timeout (plus slack)."""
    needed = timeout_minutes * 60 + SLACK_SECONDS
    if credentials_seconds < needed:
        return (
            f"credentials last {credentials_seconds} s but the job may run {timeout_minutes} min: "
            f"set role-duration-seconds to at least {needed} (and the role's MaxSessionDuration)"
        )
    return None


def endpoint_problem(endpoint: str, port: int = 443, timeout: float = 10.0) -> str | None:
    """A problem when the cluster's API endpoint (https URL) cannot be reached over TCP."""
    host = urlparse(endpoint).hostname or endpoint
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:
        return (
            f"the cluster API {host}:{port} is unreachable from this runner ({error}): run the job on a runner "
            "inside the VPC (private endpoint) or whose egress publicAccessCidrs admits"
        )


def cluster_endpoint(name: str) -> str | None:
    """The cluster's endpoint, or None when the cluster does not exist yet (a first deploy)."""
    found = subprocess.run(
        ["aws", "eks", "describe-cluster", "--name", name, "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        return None
    return json.loads(found.stdout)["cluster"]["endpoint"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tools", default="", help="comma-separated commands the job runs")
    parser.add_argument("--cluster", default="", help="EKS cluster whose API the job must reach")
    parser.add_argument("--timeout-minutes", type=int, default=0, help="the job's timeout-minutes")
    parser.add_argument("--credentials-seconds", type=int, default=0, help="the job's role-duration-seconds")
    args = parser.parse_args(argv)
    problems = missing_tools([t for t in args.tools.split(",") if t])
    if args.timeout_minutes:
        problem = credential_problem(args.credentials_seconds, args.timeout_minutes)
        problems += [problem] if problem else []
    if args.cluster:
        endpoint = cluster_endpoint(args.cluster)
        problem = endpoint_problem(endpoint) if endpoint else None
        problems += [problem] if problem else []
    for problem in problems:
        print(f"::error::preflight: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
