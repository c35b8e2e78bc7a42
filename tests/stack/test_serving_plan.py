"""Model-serving endpoints in the real dev and prod plans: every GPU pod can be scheduled."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.stack

ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"


def objects(plan: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    """The endpoints' objects of a type, by name (the model registry's are tested on their own)."""
    return {
        r["inputs"]["metadata"]["name"]: r["inputs"]
        for r in plan["resources"]
        if r["type"] == type_ and "mlops:index:ModelServingEndpoint" in (r["parent"] or "")
    }


def node_groups(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Managed node groups and Karpenter NodePools as ``labels`` + ``taints`` (EKS spelling) + GPUs per node."""
    groups = {}
    for r in plan["resources"]:
        inputs = r["inputs"]
        if r["type"] == "aws:eks/nodeGroup:NodeGroup":
            groups[inputs["labels"]["mlops-platform/pool"]] = inputs
        elif r["type"] == "kubernetes:karpenter.sh/v1:NodePool":
            template = inputs["spec"]["template"]
            eks = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}
            taints = [{**t, "effect": eks[t["effect"]]} for t in template["spec"]["taints"]]
            groups[template["metadata"]["labels"]["mlops-platform/pool"]] = {
                "labels": template["metadata"]["labels"],
                "taints": taints,
                "gpusPerNode": int(inputs["spec"]["limits"]["nvidia.com/gpu"])
                // int(inputs["spec"]["limits"]["nodes"]),
            }
    return groups


def test_every_gpu_pod_tolerates_selects_and_fits_its_pool(stack_plan: tuple[Any, dict[str, Any]]) -> None:
    _, plan = stack_plan
    pools = node_groups(plan)
    gpus_per_node = {
        r["name"].removesuffix("-ca-resources-nvidia-com-gpu"): int(r["inputs"]["tag"]["value"])
        for r in plan["resources"]
        if r["name"].endswith("-ca-resources-nvidia-com-gpu")
    }
    gpus_per_node |= {name: g["gpusPerNode"] for name, g in pools.items() if "gpusPerNode" in g}
    deployments = objects(plan, "kubernetes:apps/v1:Deployment") | objects(plan, ROLLOUT)
    assert deployments
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        pool = pools[pod["nodeSelector"]["mlops-platform/pool"]]
        effects = {
            "NO_SCHEDULE": "NoSchedule",
            "NO_EXECUTE": "NoExecute",
            "PREFER_NO_SCHEDULE": "PreferNoSchedule",
        }
        for taint in pool["taints"]:
            wanted = {
                "key": taint["key"],
                "operator": "Equal",
                "value": taint["value"],
                "effect": effects[taint["effect"]],
            }
            assert wanted in pod["tolerations"], (name, taint)
        requested = int(pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"])
        assert 1 <= requested <= gpus_per_node[pool["labels"]["mlops-platform/pool"]], name


def test_dev_serves_one_small_llm(dev_plan: dict[str, Any]) -> None:
    deployments = objects(dev_plan, "kubernetes:apps/v1:Deployment")
    assert set(deployments) == {"llm-small"}
    llm = deployments["llm-small"]
    # Its model is uploaded after the first deploy creates the bucket: no pod until it is published.
    assert llm["spec"]["replicas"] == 0
    assert llm["metadata"]["annotations"]["mlops-platform/model-published"] == "false"
    assert llm["spec"]["template"]["spec"]["nodeSelector"] == {"mlops-platform/pool": "gpu-spot"}
    assert objects(dev_plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler") == {}


def test_prod_serves_triton_and_vllm_with_autoscaling_and_pdb(prod_plan: dict[str, Any]) -> None:
    # Prod serves through Argo Rollouts canaries (endpoints[].canary defaults to true in prod).
    assert objects(prod_plan, "kubernetes:apps/v1:Deployment") == {}
    deployments = objects(prod_plan, ROLLOUT)
    assert set(deployments) == {"fraud-detector", "llm-chat"}
    triton, vllm = deployments["fraud-detector"], deployments["llm-chat"]
    # Neither model exists on a first deploy: no pod runs, the autoscalers are held until the flag flips.
    assert triton["spec"]["replicas"] == vllm["spec"]["replicas"] == 0
    assert triton["spec"]["template"]["spec"]["containers"][0]["args"][0] == "tritonserver"
    assert vllm["spec"]["template"]["spec"]["nodeSelector"] == {"mlops-platform/pool": "large-models"}
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]["spec"]
        images = [c["image"] for c in pod["containers"] + pod.get("initContainers", [])]
        assert all("@sha256:" in image and ".dkr.ecr." in image for image in images), images
        assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    # Triton scales on CPU (metrics-server); vLLM on its request queue through KEDA, which owns its HPA.
    assert set(objects(prod_plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")) == {"fraud-detector"}
    assert set(objects(prod_plan, "kubernetes:keda.sh/v1alpha1:ScaledObject")) == {"llm-chat"}
    hpa = objects(prod_plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")["fraud-detector"]["spec"]
    assert hpa["minReplicas"] >= 2
    scaled = objects(prod_plan, "kubernetes:keda.sh/v1alpha1:ScaledObject")["llm-chat"]
    assert scaled["metadata"]["annotations"] == {"autoscaling.keda.sh/paused-replicas": "0"}
    # One 4-GPU pod fills a g6e.12xlarge: llm-chat replaces a pod at a time, within its pool's 3 nodes.
    canary = vllm["spec"]["strategy"]["canary"]
    assert (scaled["spec"]["maxReplicaCount"], canary["maxSurge"], canary["maxUnavailable"]) == (3, 0, 1)
    assert set(objects(prod_plan, "kubernetes:policy/v1:PodDisruptionBudget")) == {
        "fraud-detector",
        "llm-chat",
    }
    services = objects(prod_plan, "kubernetes:core/v1:Service")
    assert {s["spec"]["type"] for s in services.values()} == {"ClusterIP"}
    namespaces = {
        r["inputs"]["metadata"]["name"]: r["inputs"]
        for r in prod_plan["resources"]
        if r["type"] == "kubernetes:core/v1:Namespace"
    }
    assert namespaces["serving"]["metadata"]["labels"] == {"pod-security.kubernetes.io/enforce": "restricted"}
