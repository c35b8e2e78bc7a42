"""Kubernetes objects a program declares through YAML, charts and kustomizations: a plan judges
those it can build (``yaml.ConfigFile``/``ConfigGroup``, through the provider's decode invoke)
and names the components it cannot look inside, so their silence never reads as a pass."""

from __future__ import annotations

from pathlib import Path

import pulumi_kubernetes as k8s
import pytest

from components.plan import document
from components.plan.cli import make_plan
from components.plan.mocks import decode_kubernetes_yaml
from components.plan.runner import StackConfig, run_program
from components.policies import CONFIG_DIR

pytestmark = pytest.mark.stack

CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: jobs}\ndata: {mode: fast}\n"


def test_yaml_config_files_become_the_objects_they_hold(tmp_path: Path) -> None:
    manifest = tmp_path / "settings.yaml"
    manifest.write_text(f"{CONFIG_MAP}---\n# an empty document\n")

    def program() -> None:
        k8s.yaml.ConfigFile("settings", file=str(manifest))
        k8s.yaml.ConfigGroup("group", yaml=[CONFIG_MAP.replace("settings", "more")])

    recording = run_program(program, project="p", stack="s", config=StackConfig("test"))
    maps = {r.name: r for r in recording.resources if r.type == "kubernetes:core/v1:ConfigMap"}
    assert set(maps) == {"jobs/settings", "jobs/more"}
    assert maps["jobs/settings"].inputs["data"] == {"mode": "fast"}
    assert document.unexpanded(recording.resources) == []


def test_charts_kustomizations_and_remote_components_are_named_as_unseen(tmp_path: Path) -> None:
    def program() -> None:
        k8s.yaml.v2.ConfigGroup("v2-group", yaml=CONFIG_MAP)
        k8s.helm.v4.Chart("v4-chart", chart="oci://registry.example/charts/app", version="1.2.3")
        k8s.helm.v3.Chart("v3-chart", k8s.helm.v3.ChartOpts(chart="app", version="1.2.3"))
        k8s.kustomize.Directory("overlay", directory=str(tmp_path))

    recording = run_program(program, project="p", stack="s", config=StackConfig("test"))
    unseen = {u["urn"].rsplit("::", 1)[-1]: u["reason"] for u in document.unexpanded(recording.resources)}
    assert unseen == {
        "v2-group": "its provider builds what is inside (a remote component)",
        "v4-chart": "its provider builds what is inside (a remote component)",
        "v3-chart": "its objects come from helm template, which an offline plan does not run",
        "overlay": "its objects come from kustomize build, which an offline plan does not run",
    }
    plan = make_plan(recording, CONFIG_DIR / "dev.json")
    assert plan["unexpanded"] == document.unexpanded(recording.resources)
    text = document.render_text(plan)
    assert "Not seen inside by this plan (the pack judges their objects at pulumi preview): 4" in text
    assert "  v2-group (kubernetes:yaml/v2:ConfigGroup): its provider builds what is inside" in text


def test_the_stacks_plans_see_everything(dev_plan: dict[str, object], prod_plan: dict[str, object]) -> None:
    assert dev_plan["unexpanded"] == prod_plan["unexpanded"] == []


def test_yaml_is_decoded_as_the_kubernetes_provider_decodes_it() -> None:
    """sigs.k8s.io/yaml gives JSON values: dates, ``1:20`` and ``=`` stay strings, keys are strings
    (PyYAML alone would give a date, 80 and a value tag, and the SDK could not send a date)."""
    text = "a: 2026-12-04\nb: 1:20\nc: =\nd: 2026-12-04T10:00:00Z\n1: one\ne: 1.5\nf: 7\n---\n---\nkind: Namespace\n"
    assert decode_kubernetes_yaml(text) == [
        {"a": "2026-12-04", "b": "1:20", "c": "=", "d": "2026-12-04T10:00:00Z", "1": "one", "e": 1.5, "f": 7},
        {"kind": "Namespace"},
    ]


def test_a_config_map_with_a_date_is_planned() -> None:
    def program() -> None:
        k8s.yaml.ConfigGroup("dated", yaml=[CONFIG_MAP.replace("mode: fast", "released: 2026-12-04")])

    recording = run_program(program, project="p", stack="s", config=StackConfig("test"))
    (config_map,) = [r for r in recording.resources if r.type == "kubernetes:core/v1:ConfigMap"]
    assert config_map.inputs["data"] == {"released": "2026-12-04"}
