"""docs/policy-coverage.md is generated from the pack and a mapping that is true: every control of
the three catalogue extracts has a status, every rule named exists, every control named exists;
and each Pod Security Standards check is refused on every workload kind by the rule the table names."""

from __future__ import annotations

import copy
import runpy
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.plan.policy import check
from components.policies import CONFIG_DIR, POLICIES
from components.policies.pack import RULES
from components.policies.settings import read_pack_config
from tests.conftest import ROOT, RunProgram
from tests.policy.insecure_programs import ANY, HARDENED, _container, _opts  # pyright: ignore[reportPrivateUsage]

pytestmark = pytest.mark.policy

TOOL: dict[str, Any] = runpy.run_path(str(ROOT / "tools/gen_policy_coverage.py"))
NAMES = [rule.name for rule in RULES]
PROD = read_pack_config(CONFIG_DIR / "prod.json")


def test_the_coverage_page_is_generated_from_the_pack_and_the_mapping() -> None:
    text, found = TOOL["generate"]()
    assert found == []
    assert (ROOT / "docs/policy-coverage.md").read_text(encoding="utf-8") == text


def test_the_mapping_names_only_rules_and_controls_that_exist() -> None:
    mapping = TOOL["read_mapping"]()
    broken = copy.deepcopy(mapping)
    broken["covered"]["k8s-no-such-rule"] = ["pss:privileged"]
    broken["covered"]["k8s-no-host-access"].append("cis:9.9.9")
    assert TOOL["problems"](broken, NAMES) == [
        "[covered] 'k8s-no-host-access' maps to 'cis:9.9.9', which no catalogue extract lists",
        "[covered] 'k8s-no-such-rule': no such rule in components.policies.pack.RULES",
    ]


def test_every_control_has_exactly_one_status() -> None:
    mapping = TOOL["read_mapping"]()
    broken = copy.deepcopy(mapping)
    del broken["not-applicable"]["fsbp:IAM.4"]
    broken["not-covered"]["fsbp:KMS.4"] = "also argued"
    assert TOOL["problems"](broken, NAMES) == [
        "[not-covered] 'fsbp:KMS.4' is also covered by kms-key-rotation",
        "'fsbp:IAM.4' has no status: map it to a rule in [covered] or give its reason in [not-applicable] or "
        "[not-covered]",
    ]


def test_the_extracts_hold_what_the_issue_asks_for() -> None:
    controls = TOOL["catalogue_controls"](TOOL["read_mapping"]())
    services = {c.split(":", 1)[1].split(".")[0] for c in controls if c.startswith("fsbp:")}
    # The mirror lists no CloudWatch control for these services; every other service has some.
    assert services == {"IAM", "EC2", "EKS", "S3", "RDS", "KMS", "ECR", "SNS", "SQS", "EFS", "SecretsManager", "ELB"}
    assert sum(c.startswith("pss:") for c in controls) == 19
    assert {"cis:4.2.1", "cis:5.4.5", "cis:3.2.9"} <= set(controls)


BREAKS: dict[str, tuple[dict[str, Any], dict[str, Any], bool]] = {
    # check -> (container fields, pod fields, whether a Patch setting them is refused too)
    "allowPrivilegeEscalation": ({"securityContext": {**HARDENED, "allowPrivilegeEscalation": True}}, {}, True),
    "appArmorProfile": ({"securityContext": {**HARDENED, "appArmorProfile": {"type": "Unconfined"}}}, {}, True),
    "capabilities_baseline": (
        {"securityContext": {**HARDENED, "capabilities": {"add": ["SYS_ADMIN"], "drop": ["ALL"]}}},
        {},
        True,
    ),
    "capabilities_restricted": ({"securityContext": {**HARDENED, "capabilities": {}}}, {}, False),
    "hostNamespaces": ({}, {"hostPID": True}, True),
    "hostPathVolumes": ({}, {"volumes": [{"name": "run", "hostPath": {"path": "/var/run"}}]}, True),
    "hostPorts": ({"ports": [{"containerPort": 8080, "hostPort": 8080}]}, {}, True),
    "hostProbesAndHostLifecycle": (
        {"lifecycle": {"preStop": {"httpGet": {"path": "/drain", "port": 80, "host": "10.0.0.1"}}}},
        {},
        True,
    ),
    "privileged": ({"securityContext": {**HARDENED, "privileged": True}}, {}, True),
    "procMount": ({"securityContext": {**HARDENED, "procMount": "Unmasked"}}, {}, True),
    "procMount_restricted": ({"securityContext": {**HARDENED, "procMount": "Unmasked"}}, {}, True),
    "restrictedVolumes": ({}, {"volumes": [{"name": "git", "gitRepo": {"repository": "https://x"}}]}, True),
    "runAsNonRoot": ({"securityContext": {**HARDENED, "runAsNonRoot": False}}, {}, True),
    "runAsUser": ({"securityContext": {**HARDENED, "runAsUser": 0}}, {}, True),
    "seLinuxOptions": ({"securityContext": {**HARDENED, "seLinuxOptions": {"user": "system_u"}}}, {}, True),
    "seccompProfile_baseline": ({"securityContext": {**HARDENED, "seccompProfile": {"type": "Unconfined"}}}, {}, True),
    "seccompProfile_restricted": (
        {"securityContext": {k: v for k, v in HARDENED.items() if k != "seccompProfile"}},
        {},
        False,
    ),
    "sysctls": ({}, {"securityContext": {"sysctls": [{"name": "kernel.core_pattern", "value": "|/x"}]}}, True),
    "windowsHostProcess": ({"securityContext": {**HARDENED, "windowsOptions": {"hostProcess": True}}}, {}, True),
}


def _every_kind(container: dict[str, Any], pod: dict[str, Any], patches: bool) -> Callable[[], None]:
    """One workload of each kind (and, with ``patches``, a Patch of each) running ``container``."""

    def program() -> None:
        opts = _opts()
        spec = {"containers": [_container(**container)]} | pod
        template = {"metadata": {"labels": {"app": "app"}}, "spec": spec}
        job_template = {"metadata": template["metadata"], "spec": {**spec, "restartPolicy": "Never"}}
        selector = {"matchLabels": {"app": "app"}}
        metadata = {"name": "app", "namespace": "serving"}
        workloads: dict[str, tuple[Any, dict[str, Any]]] = {
            "pod": (k8s.core.v1.Pod, {"spec": spec}),
            "deployment": (k8s.apps.v1.Deployment, {"spec": {"selector": selector, "template": template}}),
            "statefulset": (k8s.apps.v1.StatefulSet,
                            {"spec": {"serviceName": "app", "selector": selector, "template": template}}),
            "daemonset": (k8s.apps.v1.DaemonSet, {"spec": {"selector": selector, "template": template}}),
            "replicaset": (k8s.apps.v1.ReplicaSet, {"spec": {"selector": selector, "template": template}}),
            "job": (k8s.batch.v1.Job, {"spec": {"template": job_template}}),
            "cronjob": (k8s.batch.v1.CronJob,
                        {"spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": job_template}}}}),
        }  # fmt: skip
        for name, (kind, body) in workloads.items():
            kind(name, metadata=metadata, **body, opts=opts)
        if patches:
            patch_kinds = {
                "pod": k8s.core.v1.PodPatch, "deployment": k8s.apps.v1.DeploymentPatch,
                "statefulset": k8s.apps.v1.StatefulSetPatch, "daemonset": k8s.apps.v1.DaemonSetPatch,
                "replicaset": k8s.apps.v1.ReplicaSetPatch, "job": k8s.batch.v1.JobPatch,
                "cronjob": k8s.batch.v1.CronJobPatch,
            }  # fmt: skip
            for name, patch in patch_kinds.items():
                patch(f"{name}-patch", metadata=metadata, **workloads[name][1], opts=opts)
        crd = k8s.apiextensions.v1.CustomResourceDefinition(
            "rollouts-crd", metadata={"name": "rollouts.argoproj.io"},
            spec={"group": "argoproj.io", "names": {"kind": "Rollout", "plural": "rollouts"}, "scope": "Namespaced",
                  "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                                "schema": {"openAPIV3Schema": ANY}}]},
            opts=opts,
        )  # fmt: skip
        k8s.apiextensions.CustomResource(
            "rollout", api_version="argoproj.io/v1alpha1", kind="Rollout", metadata=metadata,
            spec={"selector": selector, "template": template, "strategy": {"canary": {"steps": [{"setWeight": 20}]}}},
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[crd])),
        )  # fmt: skip

    return program


@pytest.mark.parametrize("check_id", sorted(BREAKS))
def test_each_pss_check_is_refused_on_every_workload_kind_by_its_rule(run: RunProgram, check_id: str) -> None:
    container, pod, patches = BREAKS[check_id]
    rules = {r for r, ids in TOOL["read_mapping"]()["covered"].items() if f"pss:{check_id}" in ids}
    recording = run(_every_kind(container, pod, patches), stack="prod")
    workloads = {
        r.urn: r.type.rpartition(":")[2]
        for r in recording.resources
        if r.type.startswith("kubernetes:") and "CustomResourceDefinition" not in r.type
    }
    assert len(workloads) == (15 if patches else 8)
    refused = {v.urn for v in check(POLICIES, recording.resources, PROD).violations if v.policy in rules}
    assert {workloads[urn] for urn in workloads if urn not in refused} == set()
