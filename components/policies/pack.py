"""Every rule of the pack with what it checks, how to fix it and its settings, in one table.

The same :data:`POLICIES` are served to the Pulumi CLI (``policies/__main__.py``) and evaluated
in-process by ``mlops plan``; levels per stack come from ``policies/config/<stack>.json``.
``python -m tools.readme_rules`` rewrites the README's rule table from this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from components.cidrs import BROADEST_PUBLIC_PREFIX
from components.naming import INTERNET_FACING_ANNOTATION
from components.policies import (
    cis,
    encryption,
    escalation,
    fsbp,
    gpu,
    iam,
    network,
    operations,
    plaintext,
    pss,
    rbac,
    readiness,
    rules,
    tenancy,
    workloads,
)
from components.policies.settings import CONFIG_DIR, PACK_DEFAULT_LEVEL, enforcement_level, read_pack_config

PACK_NAME = "mlops-platform"
"""The pack's name in the CLI's output (``can't run policy ... from policy pack 'mlops-platform@v...'``)."""
EXEMPT_DEVICE_PLUGIN = {"exemptions": workloads.EXEMPTIONS_SCHEMA}
NO_EXEMPTIONS = {"exemptions": {**workloads.EXEMPTIONS_SCHEMA, "default": []}}


@dataclass(frozen=True)
class Rule:
    """One policy: its name, category, what it checks, the fix, and its validator."""

    name: str
    category: str
    checks: str
    remediation: str
    validate: Callable[..., None]
    stack: bool = False
    """A stack validator (sees every resource) rather than a per-resource one."""
    config: Mapping[str, Any] = field(default_factory=dict[str, Any])
    """JSON-schema properties of its settings, with defaults."""
    level: EnforcementLevel = EnforcementLevel.MANDATORY

    def policy(self) -> Policy:
        """The CrossGuard policy."""
        schema = PolicyConfigSchema(properties=dict(self.config)) if self.config else None
        kind = StackValidationPolicy if self.stack else ResourceValidationPolicy
        return kind(
            name=self.name,
            description=f"{self.checks} Fix: {self.remediation}",
            validate=self.validate,
            enforcement_level=self.level,
            config_schema=schema,
        )


def _list(default: list[Any], kind: str = "string") -> dict[str, Any]:
    return {"type": "array", "items": {"type": kind}, "default": default}


_BROADEST = {"type": "integer", "minimum": 0, "maximum": 32, "default": BROADEST_PUBLIC_PREFIX}
"""``broadestPublicPrefix``: the most public IPv4 space CIDRs may admit in total (components/cidrs.py)."""


RULES: list[Rule] = [
    # IAM
    Rule(
        "iam-no-wildcard-admin",
        "IAM",
        "Identity and inline policies allow neither `*` (`*:*`) nor `service:*` (sensitive services) on `*` "
        "or with `NotResource` (every resource but a few).",
        "Grant the actions the workload calls on the ARNs it uses.",
        iam.validate_no_wildcard_admin,
        config={"sensitiveServices": _list(iam.SENSITIVE_SERVICES)},
    ),
    Rule(
        "iam-no-admin-policies",
        "IAM",
        "No AdministratorAccess, PowerUserAccess or IAMFullAccess attachment.",
        "Attach a policy scoped to the job.",
        iam.validate_no_admin_policies,
        config={"deniedManagedPolicies": _list(iam.ADMIN_POLICIES)},
    ),
    Rule(
        "iam-no-public-principal",
        "IAM",
        "Trust and resource policies never allow principal `*` without an account, organisation or network condition.",
        "Name the principals, or add aws:SourceAccount / aws:PrincipalOrgID.",
        iam.validate_no_public_principal,
    ),
    Rule(
        "iam-irsa-trust-scoped",
        "IAM",
        "IRSA trust policies pin `sub` to one service account and `aud` to sts.amazonaws.com.",
        "Use StringEquals on <issuer>:sub = system:serviceaccount:<ns>:<name> and <issuer>:aud.",
        iam.validate_irsa_trust_scoped,
    ),
    Rule(
        "iam-no-privilege-escalation",
        "IAM",
        "Identity and resource policies allow no privilege-escalation action (iam:PassRole, Create/SetDefault "
        "PolicyVersion, Attach/Put User/Group/Role Policy, UpdateAssumeRolePolicy, permissions-boundary changes, "
        "CreateAccessKey, Create/UpdateLoginProfile, AddUserToGroup) on every resource.",
        "Name the ARNs in Resource; narrow iam:PassRole with an iam:PassedToService condition.",
        escalation.validate_no_privilege_escalation,
    ),
    # Network
    Rule(
        "ec2-no-world-ingress",
        "Network",
        "Security groups admit nothing from 0.0.0.0/0, ::/0 or pieces adding up to more than a /16 of public "
        "addresses, except 80/443 on a load balancer's group.",
        f"Allow the VPC or known CIDRs; tag a load balancer's group {network.LOAD_BALANCER_TAG}=true.",
        network.validate_no_world_ingress,
        config={"publicPorts": _list(network.PUBLIC_PORTS, "integer"), "broadestPublicPrefix": _BROADEST},
    ),
    Rule(
        "k8s-load-balancers-internal",
        "Network",
        "LoadBalancer Services, ALB Ingresses and AWS load balancers are internal unless explicitly allowed.",
        f"Use the internal scheme, or mark the decision with {INTERNET_FACING_ANNOTATION}: allowed.",
        network.validate_internal_load_balancers,
        config={"allowMarkedInternetFacing": {"type": "boolean", "default": True}},
    ),
    Rule(
        "ec2-no-public-ips",
        "Network",
        "Instances get no public IP and subnets do not assign them on launch.",
        "Reach instances through load balancers, SSM or a VPN.",
        network.validate_no_public_ips,
    ),
    Rule(
        "eks-cluster-hardened",
        "Network",
        "EKS: secrets encrypted with KMS, api/audit/authenticator logs on, API endpoint not open to 0.0.0.0/0 "
        "or to more than a /16 of public addresses in total.",
        "Set encryption_config, enabled_cluster_log_types and a private endpoint (or known CIDRs).",
        rules.validate_eks_cluster,
        config={"broadestPublicPrefix": _BROADEST},
    ),
    Rule(
        "ec2-launch-template-hardened",
        "Network",
        "Launch templates require IMDSv2 (hop limit <= 2), encrypted volumes and no public IP.",
        "Use metadata_options http_tokens=required and encrypted block devices.",
        rules.validate_launch_template,
    ),
    Rule(
        "eks-network-policies-enforced",
        "Network",
        "NetworkPolicies are declared only on an EKS cluster whose vpc-cni add-on enforces them.",
        'Set the vpc-cni add-on\'s configurationValues {"enableNetworkPolicy": "true"} (Cluster does).',
        operations.validate_network_policies_enforced,
        stack=True,
    ),
    Rule(
        "karpenter-node-class-hardened",
        "Network",
        "EC2NodeClasses require IMDSv2 (hop limit <= 2), encrypt volumes, give no public IP and pin the AMI alias.",
        "Use httpTokens required, ebs.encrypted true, and an alias such as al2023@<release> (not @latest).",
        gpu.validate_node_class_hardened,
        config={
            "maxHopLimit": {"type": "integer", "default": 2},
            "allowLatestAmi": {"type": "boolean", "default": False},
        },
    ),
    # Encryption and keys
    Rule(
        "storage-encrypted",
        "Encryption",
        "EBS volumes, instance disks, RDS/Aurora, EFS, SNS, SQS and CloudWatch log groups are encrypted at rest.",
        "Turn encryption on with a customer-managed KMS key (components/kms.py account_key).",
        encryption.validate_storage_encrypted,
    ),
    Rule(
        "s3-bucket-secure",
        "Encryption",
        "Buckets are versioned, SSE-KMS encrypted and blocked from public access.",
        "Use ArtifactBucket, or attach versioning, SSE-KMS and a full public access block.",
        rules.validate_bucket_companions,
        stack=True,
    ),
    Rule(
        "ecr-repository-hardened",
        "Encryption",
        "ECR repositories: immutable tags, scan on push, KMS encryption.",
        "Use ContainerRegistry, or set those three settings.",
        rules.validate_ecr_repository,
    ),
    Rule(
        "kms-key-rotation",
        "Encryption",
        "Symmetric KMS keys rotate yearly.",
        "Set enable_key_rotation=True.",
        encryption.validate_kms_rotation,
    ),
    Rule(
        "rds-hardened",
        "Encryption",
        "Databases are private, encrypted with a customer-managed key (Performance Insights too), have no "
        "password in the state, are protected from deletion with a final snapshot, keep backups and (where "
        "required) a Multi-AZ standby.",
        "Set publicly_accessible=False, kms_key_id, manage_master_user_password=True, deletion_protection=True, "
        "final_snapshot_identifier, backup_retention_period and multi_az (ModelRegistry does in prod).",
        encryption.validate_rds_hardened,
        config={
            "requireDeletionProtection": {"type": "boolean", "default": True},
            "minBackupRetentionDays": {"type": "integer", "default": 7},
            "requireMultiAz": {"type": "boolean", "default": False},
        },
    ),
    # Kubernetes workloads
    Rule(
        "k8s-no-host-access",
        "Kubernetes workloads",
        "No privileged containers, host network/PID/IPC or hostPath volumes.",
        "Drop them; a system workload that needs one gets an exemption with its reason.",
        workloads.validate_no_host_access,
        config=EXEMPT_DEVICE_PLUGIN,
    ),
    Rule(
        "k8s-least-privilege",
        "Kubernetes workloads",
        "Containers run as non-root, without privilege escalation or added capabilities, read-only root filesystem.",
        "Set runAsNonRoot, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true; mount emptyDirs to write.",
        workloads.validate_least_privilege,
        config={**EXEMPT_DEVICE_PLUGIN, "allowedCapabilities": _list([])},
    ),
    Rule(
        "k8s-pod-security-standards",
        "Kubernetes workloads",
        "Pod Security Standards (v1.35) baseline and restricted beyond the two rules above: no host ports, "
        "HostProcess, unsafe sysctls, custom SELinux/AppArmor/procMount, runAsUser 0 or volume types outside "
        "the restricted list; Seccomp RuntimeDefault/Localhost and capabilities drop ALL on every container.",
        "Set seccompProfile RuntimeDefault and capabilities.drop [ALL]; drop the host port and the other field.",
        pss.validate_pod_security_standards,
        config=EXEMPT_DEVICE_PLUGIN,
    ),
    Rule(
        "k8s-resources-set",
        "Kubernetes workloads",
        "Every container sets CPU and memory requests and limits; GPU requests have equal limits.",
        "Set resources.requests and resources.limits.",
        workloads.validate_resources_set,
        config=NO_EXEMPTIONS,
    ),
    Rule(
        "k8s-server-probes",
        "Kubernetes workloads",
        "Deployments and StatefulSets serving ports have readiness and liveness probes.",
        "Add readinessProbe and livenessProbe (and a startupProbe for slow model loads).",
        workloads.validate_server_probes,
        config=NO_EXEMPTIONS,
    ),
    Rule(
        "k8s-pinned-images",
        "Kubernetes workloads",
        "Workloads run version- or digest-pinned images, never `latest` or untagged; digests where required.",
        "Pin a version, and a digest (image@sha256:...) in prod.",
        workloads.validate_pinned_images,
        config={**NO_EXEMPTIONS, "requireDigest": {"type": "boolean", "default": False}},
    ),
    Rule(
        "k8s-rbac-least-privilege",
        "Kubernetes workloads",
        "Roles grant no `*` verbs, resources or apiGroups and no escalate/bind/impersonate; ClusterRoles do not "
        "read every secret; cluster-admin/admin/edit are not bound to broad groups or service accounts.",
        "List what the subject needs; bind powerful roles to named people or groups, never to workloads.",
        rbac.validate_rbac_least_privilege,
    ),
    Rule(
        "no-plaintext-secrets",
        "Kubernetes workloads",
        "No credential (AWS key, private key, URL password, literal under a secret-like name) in container env "
        "values, ConfigMaps, AWS tags or instance user data.",
        "Use a Secret (env valueFrom.secretKeyRef) or Secrets Manager read through IRSA / pod identity.",
        plaintext.validate_no_plaintext_secrets,
        config=NO_EXEMPTIONS,
    ),
    # GPU and cost
    Rule(
        "gpu-nodes-tainted",
        "GPU and cost",
        "Accelerator node groups carry their device's NoSchedule taint.",
        "Add the nvidia.com/gpu (or aws.amazon.com/neuron) NO_SCHEDULE taint; GpuNodePool does.",
        gpu.validate_gpu_nodes_tainted,
    ),
    Rule(
        "gpu-instance-types-allowed",
        "GPU and cost",
        "Accelerator node groups use instance types from the allow-list (default: the catalog).",
        "Pick an allowed type or extend allowedInstanceTypes.",
        gpu.validate_gpu_instance_types,
        config={"allowedInstanceTypes": _list([])},
    ),
    Rule(
        "gpu-spot-allowed",
        "GPU and cost",
        "GPU node groups run on demand unless the stack allows spot.",
        "Use ON_DEMAND, or set allowSpot for stacks that tolerate interruptions.",
        gpu.validate_gpu_spot,
        config={"allowSpot": {"type": "boolean", "default": False}},
    ),
    Rule(
        "gpu-cost-capped",
        "GPU and cost",
        "At maximum scale the stack stays under a GPU count and an hourly cost cap (the plan's cost model).",
        "Lower pools' maxSize or raise maxGpus / maxHourlyUsd deliberately.",
        gpu.validate_gpu_caps,
        stack=True,
        config={
            "maxGpus": {"type": "integer", "default": gpu.MAX_GPUS},
            "maxHourlyUsd": {"type": "number", "default": gpu.MAX_HOURLY_USD},
        },
    ),
    Rule(
        "gpu-workloads-schedulable",
        "GPU and cost",
        "Accelerator nodes have a device plugin; every GPU request fits some node group (taints, labels, size).",
        "Install the device plugin (cluster.crds / NvidiaDevicePlugin) and match tolerations and selectors.",
        readiness.validate_gpu_workloads_schedulable,
        stack=True,
    ),
    # Tags
    Rule(
        "karpenter-node-pools-limited",
        "GPU and cost",
        "Karpenter NodePools limit their CPU and, when they launch accelerators, their accelerators.",
        "Set spec.limits.cpu and spec.limits.<device resource> (GpuNodePool sets both from max_size).",
        gpu.validate_node_pools_limited,
    ),
    Rule(
        "aws-required-tags",
        "Tags",
        "AWS resources carry the team, cost-center and environment tags (provider default tags or their own).",
        "Pass an aws.Provider with default_tags to the components' opts.providers.",
        rules.validate_required_tags,
        config={"requiredTags": _list(rules.DEFAULT_REQUIRED_TAGS)},
    ),
    # Data safety and deploy readiness
    Rule(
        "stateful-resources-protected",
        "Data safety",
        "Buckets, KMS keys, ECR repositories and clusters are protected from deletion.",
        "Set protect (the components do in prod).",
        rules.validate_stateful_protected,
        stack=True,
    ),
    Rule(
        "k8s-custom-objects-after-crds",
        "Deploy readiness",
        "Custom objects depend on the CRD or chart that defines their kind.",
        "Add depends_on on cluster.crds.",
        readiness.validate_custom_objects_after_crds,
        stack=True,
    ),
    Rule(
        "k8s-autoscaling-metrics-served",
        "Deploy readiness",
        "Every HPA metric and KEDA trigger is served by an installed metrics API.",
        "Install metrics-server, KEDA or an adapter for the metric.",
        readiness.validate_autoscaling_metrics_served,
        stack=True,
    ),
    Rule(
        "k8s-await-covers-startup",
        "Deploy readiness",
        "Awaited workloads have a timeout covering their startup budget.",
        "Set pulumi.com/timeoutSeconds to the budget, or pulumi.com/skipAwait.",
        readiness.validate_await_covers_startup,
        stack=True,
    ),
    Rule(
        "eks-version-supported",
        "Deploy readiness",
        "EKS runs a Kubernetes version in standard support; warns 90 days before it ends.",
        "Upgrade the cluster (cluster.version) or choose EXTENDED support deliberately.",
        readiness.validate_eks_version,
        config={"warnDays": {"type": "integer", "default": readiness.WARN_DAYS}},
        level=EnforcementLevel.ADVISORY,
    ),
    Rule(
        "k8s-rollout-fits-pool",
        "Deploy readiness",
        "An accelerator Deployment or Argo Rollout at its maximum replicas, plus its rollout surge (a "
        "canary's pod), fits its node groups at their maximum size.",
        "Roll out with maxSurge 0 and maxUnavailable >= 1 (endpoints[].rollout: replace) or Recreate, lower "
        "maxReplicas, or raise the pool's maxSize.",
        operations.validate_rollout_fits_pool,
        stack=True,
    ),
    # Alerting
    Rule(
        "sns-alarm-topics-subscribed",
        "Alerting",
        "An SNS topic that CloudWatch alarms or budgets notify has a subscription.",
        "Subscribe an e-mail address or an HTTPS endpoint (monitoring.alertEmails, monitoring.alertHttpsEndpoints).",
        operations.validate_alarm_topics_subscribed,
        stack=True,
    ),
    Rule(
        "monitoring-highly-available",
        "Alerting",
        "kube-prometheus-stack runs two Prometheus and two Alertmanager replicas on different nodes, with "
        "PodDisruptionBudgets and memory limits: no single point of failure for alerting.",
        "Set MonitoringStack's high_availability (replicas 2, podAntiAffinity hard, podDisruptionBudget).",
        operations.validate_monitoring_highly_available,
        stack=True,
    ),
    # Catalogue controls the rules above did not reach (docs/policy-coverage.md)
    Rule(
        "iam-no-user-policies",
        "IAM",
        "No policy is attached to or inlined in an IAM user (AWS FSBP IAM.2).",
        "Attach policies to a group, or to a role assumed through IRSA or pod identity.",
        fsbp.validate_no_user_policies,
    ),
    Rule(
        "ec2-instance-imdsv2",
        "Network",
        "EC2 instances require IMDSv2 tokens (FSBP EC2.8).",
        "Set metadata_options http_tokens=required.",
        fsbp.validate_instance_imdsv2,
    ),
    Rule(
        "ec2-default-security-group-closed",
        "Network",
        "A managed VPC default security group has no ingress or egress rules (FSBP EC2.2).",
        "Remove its rules; give workloads security groups of their own.",
        fsbp.validate_default_security_group_closed,
    ),
    Rule(
        "ec2-nacl-no-world-admin-ports",
        "Network",
        "Network ACLs allow neither SSH (22) nor RDP (3389) from 0.0.0.0/0 or ::/0 (FSBP EC2.21).",
        "Admit the VPN or bastion CIDR, or reach instances through SSM.",
        fsbp.validate_nacl_admin_ports,
    ),
    Rule(
        "ec2-vpc-flow-logs",
        "Network",
        "Every VPC has a flow log (FSBP EC2.6).",
        "Add aws.ec2.FlowLog on the VPC (Network's flow_logs).",
        fsbp.validate_vpc_flow_logs,
        stack=True,
    ),
    Rule(
        "elb-hardened",
        "Network",
        "Load balancers: HTTP listeners redirect to HTTPS, ALBs drop invalid headers and defend against desync, "
        "access logs and deletion protection on, two or more AZs; Classic ones listen on HTTPS/SSL with ACM "
        "certificates and drain connections (FSBP ELB.1-7, 9, 10, 12-14).",
        "Set the named field; terminate TLS with an ACM certificate.",
        fsbp.validate_load_balancers_hardened,
    ),
    Rule(
        "s3-bucket-access-hardened",
        "Encryption",
        "Buckets deny plain-HTTP requests in their policy and disable ACLs (BucketOwnerEnforced) (FSBP S3.5, S3.12).",
        "Deny aws:SecureTransport false; add BucketOwnershipControls BucketOwnerEnforced (ArtifactBucket does).",
        fsbp.validate_bucket_access,
        stack=True,
    ),
    Rule(
        "ecr-lifecycle-policy",
        "Encryption",
        "Every ECR repository has a lifecycle policy (FSBP ECR.3).",
        "Add aws.ecr.LifecyclePolicy (ContainerRegistry does).",
        fsbp.validate_ecr_lifecycle,
        stack=True,
    ),
    Rule(
        "secrets-rotated",
        "Encryption",
        "Secrets Manager secrets rotate automatically, at least every maxRotationDays (FSBP SecretsManager.1, .4).",
        "Add aws.secretsmanager.SecretRotation with rotation_rules.automatically_after_days <= 90.",
        fsbp.validate_secrets_rotated,
        stack=True,
        config={"maxRotationDays": {"type": "integer", "minimum": 1, "default": fsbp.MAX_ROTATION_DAYS}},
    ),
    Rule(
        "rds-maintained",
        "Encryption",
        "Databases take minor upgrades, copy tags to snapshots, export logs to CloudWatch and use their own admin "
        "username (FSBP RDS.9, 13, 17, 25 and their cluster twins).",
        "Set auto_minor_version_upgrade, copy_tags_to_snapshot, enabled_cloudwatch_logs_exports and username.",
        fsbp.validate_rds_maintained,
    ),
    Rule(
        "efs-backed-up",
        "Data safety",
        "EFS file systems are in a backup plan: an enabled BackupPolicy or an AWS Backup selection (FSBP EFS.2).",
        "Add aws.efs.BackupPolicy with backup_policy.status ENABLED.",
        fsbp.validate_efs_backed_up,
        stack=True,
    ),
    Rule(
        "rds-encrypted-in-transit",
        "Encryption",
        "PostgreSQL databases refuse unencrypted connections: rds.force_ssl 1 in their parameter group, or the "
        "engine default from PostgreSQL 15 (FSBP RDS.38).",
        "Set rds.force_ssl = 1 in the instance's parameter group (ModelRegistry does).",
        fsbp.validate_rds_encrypted_in_transit,
        stack=True,
    ),
    Rule(
        "s3-bucket-lifecycle",
        "Data safety",
        "Every bucket has lifecycle rules, so noncurrent versions and old objects expire (FSBP S3.10, S3.13).",
        "Add aws.s3.BucketLifecycleConfiguration (ArtifactBucket expires noncurrent versions).",
        fsbp.validate_bucket_lifecycle,
        stack=True,
    ),
    Rule(
        "s3-bucket-policy-no-admin-grants",
        "IAM",
        "Bucket policies grant no principal DeleteBucketPolicy, PutBucketAcl, PutBucketPolicy, "
        "PutEncryptionConfiguration or PutObjectAcl (FSBP S3.6).",
        "Grant bucket administration in an identity policy of the admin role, not in the bucket policy.",
        fsbp.validate_bucket_policy_writes,
    ),
    Rule(
        "network-edges-reviewed",
        "Network",
        "Transit gateways do not auto-accept shared attachments, Client VPN endpoints log connections, S3 access "
        "points keep every public access block on (FSBP EC2.23, EC2.51, S3.19).",
        "Set auto_accept_shared_attachments disable, connection_log_options.enabled, the four blocks true.",
        fsbp.validate_network_edges,
    ),
    Rule(
        "rds-enhanced-monitoring",
        "Encryption",
        "Databases collect Enhanced Monitoring OS metrics: monitoringInterval above 0 with a monitoring role "
        "(FSBP RDS.6).",
        "Set monitoring_interval and monitoring_role_arn (ModelRegistry does, every 60 s).",
        fsbp.validate_rds_enhanced_monitoring,
    ),
    Rule(
        "efs-access-points-scoped",
        "Encryption",
        "EFS access points enforce a root directory other than / and a POSIX user (FSBP EFS.3, EFS.4).",
        "Set root_directory.path and posix_user.",
        fsbp.validate_efs_access_points,
    ),
    Rule(
        "k8s-rbac-sensitive-grants",
        "Kubernetes workloads",
        "Roles grant no create on pods or persistentvolumes, no nodes/proxy, no webhook configuration writes and no "
        "serviceaccounts/token create (CIS EKS 4.1.4, 4.1.9-4.1.12).",
        "Drop the verb; leave it to the reviewed chart of the controller that needs it.",
        cis.validate_rbac_sensitive_grants,
    ),
    Rule(
        "k8s-namespaces-network-policies",
        "Network",
        "Every namespace the program creates has a NetworkPolicy in it (CIS EKS 4.3.2).",
        "Declare a default-deny NetworkPolicy in the namespace and allow what its services need.",
        cis.validate_namespaces_have_network_policies,
        stack=True,
    ),
    Rule(
        "k8s-default-service-account-unused",
        "Kubernetes workloads",
        "Workloads on a namespace's `default` service account do not mount its token; a managed `default` account "
        "does not turn automount on (CIS EKS 4.1.5, 4.1.6).",
        "Give the workload its own service account, or set automountServiceAccountToken: false.",
        cis.validate_default_service_account,
    ),
    Rule(
        "k8s-approved-registries",
        "Kubernetes workloads",
        "Workload images come from the approved registries (default: private ECR, ECR Public, registry.k8s.io, "
        "Docker Official Images and the publishers of the platform's pinned images) (CIS EKS 5.1.4).",
        "Mirror the image into ECR (a pull-through cache rule) or extend allowedRegistries deliberately.",
        cis.validate_approved_registries,
        config={"allowedRegistries": _list(cis.APPROVED_REGISTRIES)},
    ),
    Rule(
        "k8s-no-default-namespace",
        "Kubernetes workloads",
        "Workloads name a namespace other than `default` (CIS EKS 4.5.2).",
        "Set metadata.namespace (or the Kubernetes provider's namespace).",
        cis.validate_no_default_namespace,
    ),
    # Tenancy: a team's program reaching another team or the platform (components/policies/tenancy.py)
    Rule(
        "iam-github-oidc-trust-scoped",
        "Tenancy",
        "Roles trusted by GitHub Actions' OIDC provider condition `sub` on named repositories, not `aud` alone.",
        "Add StringEquals/StringLike token.actions.githubusercontent.com:sub = repo:<owner>/<name>:<ref or "
        "environment>.",
        tenancy.validate_github_oidc_trust,
    ),
    Rule(
        "iam-pod-identity-trust-scoped",
        "Tenancy",
        "Roles trusted by EKS Pod Identity condition on the cluster (aws:SourceArn) or account and on the "
        "kubernetes-namespace and kubernetes-service-account session tags.",
        "Add aws:SourceArn = the cluster ARN and StringEquals on aws:RequestTag/kubernetes-namespace and "
        "aws:RequestTag/kubernetes-service-account.",
        tenancy.validate_pod_identity_trust,
    ),
    Rule(
        "iam-no-secret-reads-on-everything",
        "Tenancy",
        "Identity policies allow neither kms:Decrypt nor secretsmanager:GetSecretValue on `*` or with `NotResource`.",
        "Name the KMS keys and secrets the workload uses.",
        tenancy.validate_no_secret_reads_on_everything,
    ),
    Rule(
        "platform-resources-untouched",
        "Tenancy",
        "A stack reading a platform declares no bucket policy on the platform's buckets and no Pod Identity "
        "association in its namespaces (kube-system, monitoring, the model registry's).",
        "Ask the platform for a prefix grant; associate roles with your own namespaces' service accounts.",
        tenancy.validate_platform_resources_untouched,
        stack=True,
    ),
    Rule(
        "eks-team-access-namespaced",
        "Tenancy",
        "A stack reading a platform scopes every EKS access policy association to namespaces, and none is "
        "AmazonEKSClusterAdminPolicy.",
        "Associate AmazonEKSEditPolicy or AmazonEKSAdminPolicy with accessScope type namespace.",
        tenancy.validate_team_access_namespaced,
        stack=True,
    ),
    Rule(
        "k8s-team-namespaces-restricted",
        "Tenancy",
        "A stack reading a platform labels every Namespace it declares with Pod Security `restricted` enforced.",
        f"Label it {tenancy.ENFORCE_LABEL}=restricted.",
        tenancy.validate_team_namespaces_restricted,
        stack=True,
    ),
]
"""Every rule, grouped by category, in the order the README lists them."""

POLICIES: list[Policy] = [rule.policy() for rule in RULES]
"""Every policy of the pack, in the order the CLI reports them."""


def table() -> str:
    """The README's rule table: each rule with its level in the dev and prod pack configs."""
    dev, prod = (read_pack_config(CONFIG_DIR / f"{stack}.json") for stack in ("dev", "prod"))
    lines = ["| category | rule | checks | dev | prod |", "|---|---|---|---|---|"]
    lines += [
        f"| {r.category} | `{r.name}` | {r.checks} | {enforcement_level(p, dev).value} | "
        f"{enforcement_level(p, prod).value} |"
        for r, p in zip(RULES, POLICIES, strict=True)
    ]
    return "\n".join(lines)


def serve() -> None:
    """Serve the pack to the Pulumi CLI over gRPC (prints the port, blocks): the plugin's entry point."""
    PolicyPack(name=PACK_NAME, enforcement_level=PACK_DEFAULT_LEVEL, policies=POLICIES)
