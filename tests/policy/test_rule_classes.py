"""The pure functions behind the rule classes (escalation, RBAC, plaintext secrets, PSS), table-style:
the edges the program fixtures do not reach, the false positives they must not raise."""

from __future__ import annotations

from typing import Any

import pytest

from components.policies.cis import sensitive_grants
from components.policies.escalation import escalation_grants
from components.policies.fsbp import (
    instance_metadata_problems,
    listener_problems,
    load_balancer_problems,
    nacl_rule_problems,
    tls_only,
)
from components.policies.plaintext import text_problems, value_problems
from components.policies.pss import APPARMOR_ANNOTATION, pss_problems
from components.policies.rbac import binding_problems, role_problems

pytestmark = pytest.mark.policy


def _allow(**statement: Any) -> dict[str, Any]:
    return {"Statement": [{"Effect": "Allow", **statement}]}


@pytest.mark.parametrize(
    ("statement", "escalates"),
    [
        ({"Action": "iam:passrole", "Resource": "*"}, True),  # IAM matches actions case-insensitively
        ({"Action": "iam:Attach*", "Resource": "arn:aws:iam::123456789012:user/*"}, True),
        ({"Action": "iam:*", "Resource": "arn:aws:iam::*:role/*"}, True),  # every role of every account
        ({"Action": "iam:*", "Resource": "*"}, False),  # iam-no-wildcard-admin's, not this rule's
        ({"Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/app-*"}, False),
        (
            {"Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "x"}}},
            False,
        ),
        ({"Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::123456789012:user/${aws:username}"}, False),
        ({"Action": "iam:GetRole", "Resource": "*"}, False),
    ],
)
def test_escalation_needs_an_escalating_action_on_every_resource(statement: dict[str, Any], escalates: bool) -> None:
    assert bool(escalation_grants(_allow(**statement))) is escalates
    assert escalation_grants({"Statement": [{**statement, "Effect": "Deny"}]}) == []


def test_rbac_messages_name_the_rule_and_field() -> None:
    rules = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}]
    assert role_problems("ClusterRole", rules) == [
        "rules[0].verbs is '*' (every verb, present and future)",
        "rules[0] reads every secret cluster-wide (* on secrets)",
    ]
    assert role_problems("Role", [{**rules[0], "verbs": ["get"]}]) == []  # one namespace's secrets
    named = [{**rules[0], "verbs": ["get"], "resourceNames": ["tls"]}]
    assert role_problems("ClusterRole", named) == []


@pytest.mark.parametrize(
    ("role", "subject", "refused"),
    [
        ("cluster-admin", {"kind": "Group", "name": "system:serviceaccounts:serving"}, True),
        ("edit", {"kind": "Group", "name": "system:unauthenticated"}, True),
        ("view", {"kind": "Group", "name": "system:unauthenticated"}, True),
        ("view", {"kind": "ServiceAccount", "name": "default", "namespace": "serving"}, False),
        ("cluster-admin", {"kind": "User", "name": "alice@example.com"}, False),
    ],
)
def test_bindings(role: str, subject: dict[str, str], refused: bool) -> None:
    props = {"roleRef": {"kind": "ClusterRole", "name": role}, "subjects": [subject]}
    assert bool(binding_problems(props)) is refused


@pytest.mark.parametrize(
    ("name", "value", "found"),
    [
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", True),
        ("DB_PASSWORD", "changeme", True),  # a weak literal password is still one
        ("DB_PASSWORD", "xxxxxxxxxx", False),  # a mask, no information in it
        ("DB_PASSWORD_FILE", "/run/secrets/db-password-value", False),
        ("SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", False),
        ("TOKEN", "$(cat /var/run/token)", False),
        ("UPSTREAM", "https://user:pa55-w0rd-Xk9@example.com/", True),
        ("UPSTREAM", "postgresql+psycopg://{user}:{password}@{host}/db", False),  # a template, not a password
    ],
)
def test_value_problems(name: str, value: str, found: bool) -> None:
    assert bool(value_problems(name, value)) is found


def test_code_that_reads_a_secret_is_not_a_secret() -> None:
    """The shape of the platform's own MLflow start script: expressions and variables, no literal."""
    script = (
        'admin_password = (run / "admin" / "password").read_text().strip()\n    "admin_password": admin_password,\n'
    )
    assert text_problems(script) == []
    assert text_problems("db.password=Xk9#mQ2vL7pZ\n") == ["db.password set to a literal"]


def test_pss_patches_are_judged_on_what_they_set() -> None:
    pod = {"containers": [{"name": "c", "securityContext": {"procMount": "Unmasked"}}]}
    assert pss_problems(pod, patch=True) == ["container c securityContext.procMount is Unmasked (Default)"]
    assert len(pss_problems(pod, patch=False)) == 3  # and no seccomp, no drop ALL on a full object
    safe = {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_keepalive_time", "value": "60"}]}, "containers": []}
    assert pss_problems(safe, patch=False) == []


@pytest.mark.parametrize(
    ("rule", "refused"),
    [
        ({"ruleAction": "allow", "cidrBlock": "0.0.0.0/0", "protocol": "-1"}, True),  # every port, 22 among them
        ({"ruleAction": "allow", "ipv6CidrBlock": "::/0", "protocol": "6", "fromPort": 3000, "toPort": 3400}, True),
        ({"action": "allow", "cidrBlock": "0.0.0.0/0", "protocol": "tcp", "fromPort": 443, "toPort": 443}, False),
        ({"ruleAction": "deny", "cidrBlock": "0.0.0.0/0", "protocol": "-1"}, False),
        ({"ruleAction": "allow", "cidrBlock": "0.0.0.0/0", "protocol": "udp", "fromPort": 0, "toPort": 65535}, False),
    ],
)
def test_nacl_rules_refuse_admin_ports_from_the_world_only(rule: dict[str, Any], refused: bool) -> None:
    assert bool(nacl_rule_problems("acl", rule)) is refused


def test_tls_only_needs_a_deny_on_insecure_transport() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    assert tls_only([{"policy": {"Statement": [{**deny, "Condition": insecure}]}}])
    assert not tls_only([{"policy": {"Statement": [{**deny, "Effect": "Allow", "Condition": insecure}]}}])
    assert not tls_only([{"policy": {"Statement": [{**deny, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}}])
    assert not tls_only([])


def test_listeners_and_instances_edges() -> None:
    redirect = [{"type": "redirect", "redirect": {"protocol": "HTTPS"}}]
    assert listener_problems({"protocol": "HTTP", "defaultActions": redirect}) == []
    assert listener_problems({"protocol": "HTTPS", "defaultActions": [{"type": "forward"}]}) == []
    assert listener_problems({"protocol": "TCP"}) == []  # a Network Load Balancer's
    assert instance_metadata_problems({"metadataOptions": {"httpEndpoint": "disabled"}}) == []
    assert instance_metadata_problems({}) == [
        "metadataOptions.httpTokens is unset: IMDSv1 answers any request; set http_tokens='required'"
    ]


def test_pss_allows_what_kubernetes_1_35_allows() -> None:
    """Image volumes (restricted) and the 1.32 TCP buffer sysctls (baseline) are allowed; a probe on
    the pod's own address (no host) too."""
    hardened = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}}
    container = {"name": "c", "securityContext": {"capabilities": {"drop": ["ALL"]}}}
    pod = {
        **hardened,
        "containers": [{**container, "readinessProbe": {"httpGet": {"path": "/", "port": 80}}}],
        "volumes": [{"name": "weights", "image": {"reference": "registry.example/weights@sha256:" + "a" * 64}}],
    }
    pod["securityContext"] = {**hardened["securityContext"], "sysctls": [{"name": "net.ipv4.tcp_wmem", "value": "1"}]}
    assert pss_problems(pod, patch=False) == []
    assert pss_problems(pod, patch=False, annotations={APPARMOR_ANNOTATION + "c": "unconfined"}) == [
        f"pod annotation {APPARMOR_ANNOTATION}c is unconfined (runtime/default or localhost/<profile>)"
    ]


def test_sensitive_grants_read_the_api_group_and_leave_wildcards_to_the_rbac_rule() -> None:
    assert sensitive_grants([{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}]) == [
        "rules[0] grants get on nodes/proxy (CIS 4.1.10: nodes/proxy reaches every kubelet's API)"
    ]
    assert sensitive_grants([{"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["create"]}]) == []
    assert sensitive_grants([{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]) == []
    webhook = {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations"]}
    assert len(sensitive_grants([{**webhook, "verbs": ["patch"]}])) == 1
    assert sensitive_grants([{**webhook, "verbs": ["get", "list"]}]) == []


def test_load_balancer_checks_follow_the_type() -> None:
    gateway = {"loadBalancerType": "gateway", "enableDeletionProtection": True, "subnets": ["a", "b"]}
    assert load_balancer_problems(gateway) == []  # no access logs, headers or desync on a Gateway LB
    assert load_balancer_problems({**gateway, "loadBalancerType": "application"}) == [
        "dropInvalidHeaderFields is not true (ELB.4: set drop_invalid_header_fields=True)",
        "accessLogs.enabled is not true (ELB.5: log to an S3 bucket)",
    ]
