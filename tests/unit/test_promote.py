"""``mlops promote`` edits one scalar of the stack file and nothing else, atomically, and refuses
every case it cannot do whole with one line and status 2. The registry side runs against the
real MLflow in tests/validators/test_registry_live.py."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from components.plan.cli import main
from components.promote import PromoteError, model_reference, pin_version, promoted_endpoints, write_atomically
from tests.conftest import ROOT

KEY = "mlops-platform:platform"
PROD = (ROOT / "Pulumi.prod.yaml").read_text()


def lines_changed(old: str, new: str) -> tuple[list[str], list[str]]:
    a, b = old.splitlines(), new.splitlines()
    return [line for line in a if line not in b], [line for line in b if line not in a]


def test_prod_fraud_detector_gets_its_version_under_its_alias_and_nothing_else_moves() -> None:
    assert promoted_endpoints(PROD, KEY, "Pulumi.prod.yaml") == ["fraud-detector"]  # llm-chat serves a bucket
    # A canary is created with its version pinned (README, "Canary delivery"): prod starts at 1.
    assert model_reference(PROD, KEY, "fraud-detector", "Pulumi.prod.yaml") == ("fraud-detector", "champion", 1)
    pinned = pin_version(PROD, KEY, "fraud-detector", 7, "Pulumi.prod.yaml")
    assert lines_changed(PROD, pinned) == (["          version: 1"], ["          version: 7"])
    assert "          alias: champion\n          version: 7\n" in pinned  # in the model mapping, its indent
    assert pinned.count("#") == PROD.count("#")  # every comment kept
    again = pin_version(pinned, KEY, "fraud-detector", 8, "Pulumi.prod.yaml")
    assert lines_changed(pinned, again) == (["          version: 7"], ["          version: 8"])
    assert model_reference(again, KEY, "fraud-detector", "Pulumi.prod.yaml") == ("fraud-detector", "champion", 8)


FLOW = """config:
  mlops-platform:platform:
    endpoints:
      - name: scorer
        model: {registry: mlflow, name: scorer, alias: champion}  # promoted by the data scientists
      - name: other
        model:
          registry: mlflow
          name: other
          version: "3"   # quoted, with a comment
"""


def test_flow_mappings_quoted_versions_and_trailing_comments() -> None:
    pinned = pin_version(FLOW, KEY, "scorer", 2, "s.yaml")
    flow = "model: {registry: mlflow, name: scorer, alias: champion, version: 2}  # promoted by the data scientists"
    assert lines_changed(FLOW, pinned)[1] == [" " * 8 + flow]
    other = pin_version(FLOW, KEY, "other", 4, "s.yaml")
    assert lines_changed(FLOW, other)[1] == ["          version: 4   # quoted, with a comment"]


def test_an_unknown_endpoint_names_those_defined() -> None:
    with pytest.raises(PromoteError) as caught:
        model_reference(FLOW, KEY, "nope", "s.yaml")
    assert str(caught.value) == (
        "s.yaml: config.mlops-platform:platform.endpoints: no endpoint 'nope' (defined: scorer, other)"
    )


def test_an_endpoint_on_a_bucket_has_nothing_to_promote() -> None:
    with pytest.raises(PromoteError, match=r"endpoints\[1\].model: endpoint 'llm-chat' serves no registered model"):
        model_reference(PROD, KEY, "llm-chat", "Pulumi.prod.yaml")


def test_the_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(PROD)
    os.chmod(stack, 0o640)
    read = stack.read_bytes()
    write_atomically(stack, read, PROD + "# new\n")
    assert stack.read_text().endswith("# new\n") and stack.stat().st_mode & 0o777 == 0o640
    # Someone changed it since it was read: nothing is written, and no temporary file is left.
    with pytest.raises(PromoteError, match="changed while promoting; nothing written"):
        write_atomically(stack, read, "half")
    assert stack.read_text().endswith("# new\n")
    stack.chmod(0o440)
    with pytest.raises(PromoteError, match="not writable; nothing changed"):
        write_atomically(stack, stack.read_bytes(), "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.prod.yaml"]


def test_an_unreachable_registry_is_one_line_and_status_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(PROD)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    assert main(["promote", "--stack", "prod", "--endpoint", "fraud-detector", "--config", str(stack)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(
        f"mlops promote: fraud-detector@champion: registry http://127.0.0.1:{port} unreachable ("
    ), err
    assert stack.read_text() == PROD
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert main(["promote", "--stack", "prod", "--endpoint", "fraud-detector", "--config", str(stack)]) == 2
    assert "set MLFLOW_TRACKING_URI to the registry's http(s) URL" in capsys.readouterr().err
