"""Write the bootstrap's outputs to the places the workflows and the CLI read them, once per account.

- the backend URL into the repository variable ``PULUMI_BACKEND_URL``, which every workflow logs in
  with (``gh variable set``); with ``--pulumi-cloud`` the variable is deleted instead, so the
  workflows log in to Pulumi Cloud;
- each stack's secrets provider into the ``secretsprovider:`` line of ``Pulumi.<stack>.yaml``, which
  ``pulumi stack init`` and every later command read (the stack file then gets its ``encryptedkey:``).

Run from the repository, after ``pulumi up`` in ``bootstrap/`` (README, "State and secrets")::

    python bootstrap/publish.py            # reads `pulumi stack output --json` of bootstrap/
    python bootstrap/publish.py --outputs outputs.json --dry-run

Exit status: 0 done, 2 bad input (one line on stderr, nothing changed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from components.state_backend import BACKEND_VARIABLE

PROVIDER_LINE = re.compile(r"^secretsprovider:.*$", re.MULTILINE)
ROOT = Path(__file__).resolve().parents[1]


class PublishError(Exception):
    """Bad input: the message names the file or output and what is wrong."""


def stack_file_text(text: str, provider: str, source: str) -> str:
    """The stack file's text with ``secretsprovider: <provider>``, everything else unchanged.

    A file that already carries an ``encryptedkey:`` made under another provider is refused: that
    key only decrypts with its own KMS key (``pulumi stack change-secrets-provider`` moves it)."""
    line = f"secretsprovider: {provider}"
    current = PROVIDER_LINE.search(text)
    if current and current.group(0) == line:
        return text
    if current and re.search(r"^encryptedkey:", text, re.MULTILINE):
        raise PublishError(
            f"{source}: secretsprovider is {current.group(0).split(':', 1)[1].strip()!r} and encryptedkey was made "
            f"with it; run `pulumi stack change-secrets-provider {provider!r}` instead"
        )
    if current:
        return PROVIDER_LINE.sub(line, text, count=1)
    config = re.search(r"^config:", text, re.MULTILINE)
    if config is None:
        raise PublishError(f"{source}: no top-level config: key, so no place for secretsprovider")
    return text[: config.start()] + line + "\n" + text[config.start() :]


def read_outputs(outputs: Path | None) -> dict[str, Any]:
    """The bootstrap stack's outputs: from a file, or from ``pulumi stack output --json`` in bootstrap/."""
    try:
        if outputs is not None:
            text = outputs.read_text()
        else:
            text = subprocess.run(
                ["pulumi", "stack", "output", "--json"],
                cwd=ROOT / "bootstrap",
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            ).stdout
        data: object = json.loads(text)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise PublishError(f"bootstrap outputs: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("secretsProviders"), dict) or not data["secretsProviders"]:  # pyright: ignore[reportUnknownMemberType]
        raise PublishError("bootstrap outputs: no secretsProviders (run `pulumi up` in bootstrap/ first)")
    return cast(dict[str, Any], data)


def publish(outputs: dict[str, Any], root: Path, *, pulumi_cloud: bool, dry_run: bool) -> list[str]:
    """Write the stack files and set (or delete) the repository variable; the lines it reports."""
    report: list[str] = []
    texts: dict[Path, str] = {}
    for stack, provider in sorted(outputs["secretsProviders"].items()):
        path = root / f"Pulumi.{stack}.yaml"
        if not path.is_file():
            raise PublishError(f"{path.name}: no such stack file for the bootstrap's stack {stack!r}")
        old = path.read_text()
        new = stack_file_text(old, str(provider), path.name)
        if new != old:
            texts[path] = new
        report.append(f"{path.name}: secretsprovider: {provider}" + ("" if new != old else " (unchanged)"))
    backend = outputs.get("backendUrl")
    if pulumi_cloud:
        command = ["gh", "variable", "delete", BACKEND_VARIABLE]
    elif isinstance(backend, str) and backend.startswith("s3://"):
        command = ["gh", "variable", "set", BACKEND_VARIABLE, "--body", backend]
    else:
        raise PublishError(f"bootstrap outputs: backendUrl must be s3://... (got {backend!r}), or pass --pulumi-cloud")
    report.append(" ".join(command))
    # Named explicitly: with no --secrets-provider, `pulumi stack init` asks the backend for its default.
    report += [
        f"next: pulumi stack init {stack} --secrets-provider '{provider}'"
        for stack, provider in sorted(outputs["secretsProviders"].items())
    ]
    if dry_run:
        return report
    for path, text in texts.items():
        # Replaced whole through a rename: a stack file is never left half-written.
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(text)
        os.replace(handle.name, path)
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0 and not (pulumi_cloud and "not found" in result.stderr.lower()):
        raise PublishError(f"{' '.join(command[:3])}: {result.stderr.strip() or result.returncode}")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write the bootstrap's outputs where the workflows and the CLI read them."
    )
    parser.add_argument("--outputs", type=Path, help="a file of `pulumi stack output --json` (default: run it)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    parser.add_argument("--pulumi-cloud", action="store_true", help="state in Pulumi Cloud: delete the variable")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    args = parser.parse_args(argv)
    try:
        lines = publish(read_outputs(args.outputs), args.root, pulumi_cloud=args.pulumi_cloud, dry_run=args.dry_run)
    except PublishError as exc:
        print(f"publish: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
