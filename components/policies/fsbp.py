"""Rules for the AWS Foundational Security Best Practices controls an IaC plan can judge and the
pack's older rules did not look at (docs/policy-coverage.md maps every control to its rule).

Control IDs are Security Hub's (``EC2.8``, ``ELB.4``), read from the mirror of the standard
cited in tests/vendor/catalogues/fsbp.json. Each check reads only what a plan holds: inputs and
dependencies. A companion resource (a flow log, a rotation, a lifecycle policy) belongs to its
parent when it depends on it (an Output passed as ``vpc_id``/``secret_id``/``repository``) or
names it literally.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs

from components.policies.documents import allows, principals, statements, strings
from components.values import as_mapping, items

WORLD = ("0.0.0.0/0", "::/0")
ADMIN_PORTS = (22, 3389)
"""EC2.21: SSH and RDP."""
USER_POLICY_TYPES = ("aws:iam/userPolicy:UserPolicy", "aws:iam/userPolicyAttachment:UserPolicyAttachment")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
CLASSIC_LOAD_BALANCER = "aws:elb/loadBalancer:LoadBalancer"
MAX_ROTATION_DAYS = 90
"""SecretsManager.4's default ``maxDaysSinceRotation``."""
DEFAULT_ADMIN_USERNAMES = frozenset({"admin", "postgres", "root", "master", "administrator", "sa"})
"""RDS.24/25: the usernames engines and tutorials default to (guessable by anyone who reaches the port)."""


def instance_metadata_problems(props: Mapping[str, Any]) -> list[str]:
    """EC2.8: an instance requires IMDSv2 tokens (its metadata otherwise answers any SSRF)."""
    metadata = as_mapping(props.get("metadataOptions"))
    if metadata.get("httpEndpoint") == "disabled" or metadata.get("httpTokens") == "required":
        return []
    tokens = metadata.get("httpTokens", "unset")
    return [f"metadataOptions.httpTokens is {tokens}: IMDSv1 answers any request; set http_tokens='required'"]


def validate_instance_imdsv2(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """EC2 instances require IMDSv2 (EC2.8); one launched from a template without its own
    metadataOptions is the template's to judge (ec2-launch-template-hardened)."""
    from_template = args.props.get("launchTemplate") is not None and args.props.get("metadataOptions") is None
    if args.resource_type == "aws:ec2/instance:Instance" and not from_template:
        for problem in instance_metadata_problems(args.props):
            report_violation(f"instance {args.name}: {problem}", None)


def validate_default_security_group_closed(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A VPC's default security group, when a stack manages it, has no rules (EC2.2)."""
    if args.resource_type != "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
        return
    for direction in ("ingress", "egress"):
        if items(args.props.get(direction)):
            report_violation(
                f"default security group {args.name}: {direction} has rules; every instance launched without a "
                f"group gets them. Remove the {direction} blocks and give workloads their own security groups",
                None,
            )


def _covers_admin_port(rule: Mapping[str, Any]) -> list[int]:
    protocol = str(rule.get("protocol", "")).lower()
    if protocol in ("-1", "all"):
        return list(ADMIN_PORTS)
    if protocol not in ("tcp", "6"):
        return []
    low, high = float(rule.get("fromPort", 0) or 0), float(rule.get("toPort", 0) or 0)
    return [port for port in ADMIN_PORTS if low <= port <= high]


def nacl_rule_problems(where: str, rule: Mapping[str, Any]) -> list[str]:
    """EC2.21: an allow rule admitting SSH or RDP from the whole internet."""
    action = str(rule.get("action", rule.get("ruleAction", ""))).lower()
    source = rule.get("cidrBlock") or rule.get("ipv6CidrBlock")
    ports = _covers_admin_port(rule)
    if action != "allow" or source not in WORLD or not ports:
        return []
    shown = " and ".join(str(port) for port in ports)
    return [f"{where} allows port {shown} from {source}; admit the VPN or bastion CIDR, or reach nodes with SSM"]


def validate_nacl_admin_ports(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Network ACLs admit neither SSH nor RDP from 0.0.0.0/0 or ::/0 (EC2.21)."""
    problems: list[str] = []
    if args.resource_type == "aws:ec2/networkAcl:NetworkAcl":
        for index, rule in enumerate(map(as_mapping, items(args.props.get("ingress")))):
            problems += nacl_rule_problems(f"network ACL {args.name} ingress[{index}]", rule)
    elif args.resource_type == "aws:ec2/networkAclRule:NetworkAclRule" and args.props.get("egress") is not True:
        problems += nacl_rule_problems(f"network ACL rule {args.name}", args.props)
    for problem in problems:
        report_violation(problem, None)


def validate_no_user_policies(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """IAM users get no policies of their own; permissions go to groups or roles (IAM.2)."""
    attached_to_users = args.resource_type == "aws:iam/policyAttachment:PolicyAttachment" and items(
        args.props.get("users")
    )
    if args.resource_type in USER_POLICY_TYPES or attached_to_users:
        field = "users" if attached_to_users else "user"
        users = ", ".join(str(u) for u in items(args.props.get("users"))) or str(args.props.get("user"))
        report_violation(
            f"{args.name} grants a policy to IAM user {users} ({field}); attach it to a group the user joins, or to a "
            "role the workload assumes (IRSA / pod identity) instead of a long-lived user",
            None,
        )


def _is_application(props: Mapping[str, Any]) -> bool:
    return props.get("loadBalancerType", "application") == "application"


def load_balancer_problems(props: Mapping[str, Any]) -> list[str]:
    """ELB.4, ELB.5, ELB.6, ELB.12, ELB.13 for an Application, Network or Gateway Load Balancer."""
    problems: list[str] = []
    if _is_application(props):
        if props.get("dropInvalidHeaderFields") is not True:
            problems.append("dropInvalidHeaderFields is not true (ELB.4: set drop_invalid_header_fields=True)")
        if props.get("desyncMitigationMode") == "monitor":
            problems.append("desyncMitigationMode is monitor (ELB.12: defensive or strictest)")
        # ELB.5 names Application and Classic load balancers: a Gateway one has no access logs.
        if as_mapping(props.get("accessLogs")).get("enabled") is not True:
            problems.append("accessLogs.enabled is not true (ELB.5: log to an S3 bucket)")
    if props.get("enableDeletionProtection") is not True:
        problems.append("enableDeletionProtection is not true (ELB.6: set enable_deletion_protection=True)")
    zones = len(items(props.get("subnets"))) or len(items(props.get("subnetMappings")))
    if zones == 1:
        problems.append("one subnet only (ELB.13: subnets in two or more Availability Zones)")
    return problems


def listener_problems(props: Mapping[str, Any]) -> list[str]:
    """ELB.1: a plain-HTTP listener only redirects to HTTPS."""
    if str(props.get("protocol", "")).upper() != "HTTP":
        return []
    actions = [as_mapping(a) for a in items(props.get("defaultActions"))]
    redirects = [as_mapping(a.get("redirect")) for a in actions if a.get("type") == "redirect"]
    if any(str(r.get("protocol", "")).upper() == "HTTPS" for r in redirects):
        return []
    return ["protocol is HTTP without a redirect to HTTPS (ELB.1: default_actions type redirect, protocol HTTPS)"]


def classic_load_balancer_problems(props: Mapping[str, Any]) -> list[str]:
    """ELB.2, ELB.3, ELB.5, ELB.7, ELB.9, ELB.10, ELB.14 for a Classic Load Balancer."""
    problems: list[str] = []
    for index, listener in enumerate(map(as_mapping, items(props.get("listeners")))):
        protocol = str(listener.get("lbProtocol", "")).lower()
        if protocol in ("http", "tcp"):
            problems.append(f"listeners[{index}].lbProtocol is {protocol} (ELB.3: https or ssl)")
        elif ":server-certificate/" in str(listener.get("sslCertificateId", "")):
            problems.append(f"listeners[{index}].sslCertificateId is an IAM certificate (ELB.2: an ACM certificate)")
    if props.get("connectionDraining") is not True:
        problems.append("connectionDraining is not true (ELB.7)")
    if as_mapping(props.get("accessLogs")).get("enabled") is False or not as_mapping(props.get("accessLogs")):
        problems.append("accessLogs is not enabled (ELB.5: log to an S3 bucket)")
    if props.get("crossZoneLoadBalancing") is False:
        problems.append("crossZoneLoadBalancing is false (ELB.9)")
    if len(items(props.get("subnets"))) == 1 or len(items(props.get("availabilityZones"))) == 1:
        problems.append("one Availability Zone only (ELB.10: two or more)")
    if props.get("desyncMitigationMode") == "monitor":
        problems.append("desyncMitigationMode is monitor (ELB.14: defensive or strictest)")
    return problems


_LB_CHECKS: dict[str, tuple[str, Callable[[Mapping[str, Any]], list[str]]]] = {
    **{token: ("load balancer", load_balancer_problems) for token in LOAD_BALANCERS},
    **{token: ("listener", listener_problems) for token in LISTENERS},
    CLASSIC_LOAD_BALANCER: ("classic load balancer", classic_load_balancer_problems),
}


def validate_load_balancers_hardened(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Load balancers: HTTPS only, invalid headers dropped, desync defended, logged, protected, multi-AZ."""
    check = _LB_CHECKS.get(args.resource_type)
    if check is not None:
        what, problems_of = check
        for problem in problems_of(args.props):
            report_violation(f"{what} {args.name}: {problem}", None)


def rds_maintenance_problems(props: Mapping[str, Any]) -> list[str]:
    """RDS.9/36/37, RDS.13/35, RDS.16/17, RDS.24/25 for a DB instance or cluster."""
    problems: list[str] = []
    if props.get("autoMinorVersionUpgrade") is False:
        problems.append("autoMinorVersionUpgrade is false (RDS.13: minor versions carry security fixes)")
    if props.get("copyTagsToSnapshot") is not True:
        problems.append("copyTagsToSnapshot is not true (RDS.17: snapshots lose owner and cost tags)")
    if not items(props.get("enabledCloudwatchLogsExports")):
        problems.append("enabledCloudwatchLogsExports is empty (RDS.9: export the engine's log, e.g. postgresql)")
    username = props.get("username", props.get("masterUsername"))
    engine = str(props.get("engine", ""))
    inherited = props.get("replicateSourceDb") is not None or props.get("snapshotIdentifier") is not None
    if not inherited and (
        str(username).lower() in DEFAULT_ADMIN_USERNAMES or (username is None and "postgres" in engine)
    ):
        problems.append(f"the admin username is {username or 'the default postgres'} (RDS.25: choose your own)")
    return problems


def validate_rds_maintained(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Databases take minor upgrades, copy tags to snapshots, export logs and have their own admin name."""
    if args.resource_type in ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster"):
        for problem in rds_maintenance_problems(args.props):
            report_violation(f"database {args.name}: {problem}", None)


def access_point_problems(props: Mapping[str, Any]) -> list[str]:
    """EFS.3 and EFS.4: an access point pins a root directory and a POSIX identity."""
    problems: list[str] = []
    path = as_mapping(props.get("rootDirectory")).get("path", "/")
    if path in ("", "/"):
        problems.append("rootDirectory.path is / (EFS.3: a directory of its own, e.g. /models)")
    if not as_mapping(props.get("posixUser")):
        problems.append("posixUser is unset (EFS.4: enforce uid and gid, whatever the client claims)")
    return problems


def validate_efs_access_points(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """EFS access points enforce a root directory and a user identity (EFS.3, EFS.4)."""
    if args.resource_type == "aws:efs/accessPoint:AccessPoint":
        for problem in access_point_problems(args.props):
            report_violation(f"access point {args.name}: {problem}", None)


def _companions(
    resources: Sequence[PolicyResource], parent: PolicyResource, types: tuple[str, ...], key: str, literal: str
) -> list[PolicyResource]:
    """Resources of ``types`` that depend on ``parent`` or name it (``key`` = its ``literal`` input)."""
    name = parent.props.get(literal) if literal else None
    return [
        r
        for r in resources
        if r.resource_type in types
        and (any(d.urn == parent.urn for d in r.dependencies) or (name is not None and r.props.get(key) == name))
    ]


def validate_vpc_flow_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every VPC has a flow log (EC2.6)."""
    for vpc in (r for r in args.resources if r.resource_type == "aws:ec2/vpc:Vpc"):
        if not _companions(args.resources, vpc, ("aws:ec2/flowLog:FlowLog",), "vpcId", ""):
            report_violation(
                f"VPC {vpc.name} has no flow log (EC2.6): add aws.ec2.FlowLog with vpc_id and traffic_type ALL "
                "(Network does with flow_logs)",
                vpc.urn,
            )


def validate_ecr_lifecycle(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every ECR repository has a lifecycle policy (ECR.3)."""
    for repository in (r for r in args.resources if r.resource_type == "aws:ecr/repository:Repository"):
        policies = ("aws:ecr/lifecyclePolicy:LifecyclePolicy",)
        if not _companions(args.resources, repository, policies, "repository", "name"):
            report_violation(
                f"ECR repository {repository.name} has no lifecycle policy (ECR.3): old images accumulate; add "
                "aws.ecr.LifecyclePolicy (ContainerRegistry does)",
                repository.urn,
            )


def rotation_problems(rotations: Sequence[Mapping[str, Any]], max_days: int) -> list[str]:
    """SecretsManager.1 and .4: a rotation exists and runs at least every ``max_days``."""
    if not rotations:
        return [f"no aws.secretsmanager.SecretRotation (SecretsManager.1: rotate at least every {max_days} days)"]
    problems: list[str] = []
    for rotation in rotations:
        rules = as_mapping(rotation.get("rotationRules"))
        days = rules.get("automaticallyAfterDays")
        if days is not None and float(days) > max_days:
            problems.append(
                f"rotationRules.automaticallyAfterDays is {int(float(days))} (SecretsManager.4: {max_days} at most)"
            )
    return problems


def validate_secrets_rotated(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Secrets Manager secrets rotate automatically, at least every 90 days (SecretsManager.1, .4)."""
    max_days = int(args.get_config().get("maxRotationDays", MAX_ROTATION_DAYS))
    for secret in (r for r in args.resources if r.resource_type == "aws:secretsmanager/secret:Secret"):
        rotations = _companions(
            args.resources, secret, ("aws:secretsmanager/secretRotation:SecretRotation",), "secretId", "name"
        )
        for problem in rotation_problems([r.props for r in rotations], max_days):
            report_violation(f"secret {secret.name}: {problem}", secret.urn)


def tls_only(policies: Sequence[Mapping[str, Any]]) -> bool:
    """S3.5: some bucket policy denies requests with ``aws:SecureTransport`` false."""
    for statement in (s for policy in policies for s in statements(policy.get("policy"))):
        conditions = as_mapping(statement.get("Condition"))
        values = [as_mapping(conditions.get(op)).get("aws:SecureTransport") for op in ("Bool", "BoolIfExists")]
        secure = [str(v).lower() for value in values for v in ([value] if isinstance(value, bool) else strings(value))]
        if statement.get("Effect") == "Deny" and "false" in secure:
            return True
    return False


BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICIES = ("aws:s3/bucketPolicy:BucketPolicy",)
OWNERSHIP_CONTROLS = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)


def validate_bucket_access(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Buckets refuse plain HTTP (S3.5) and disable ACLs (S3.12)."""
    for bucket in (r for r in args.resources if r.resource_type in BUCKETS):
        policies = [p.props for p in _companions(args.resources, bucket, BUCKET_POLICIES, "bucket", "bucket")]
        if not tls_only(policies):
            report_violation(
                f"bucket {bucket.name} accepts plain HTTP (S3.5): its bucket policy needs a Deny on "
                'Condition.Bool."aws:SecureTransport" = "false" (ArtifactBucket has it)',
                bucket.urn,
            )
        controls = _companions(args.resources, bucket, OWNERSHIP_CONTROLS, "bucket", "bucket")
        owners = [as_mapping(c.props.get("rule")).get("objectOwnership") for c in controls]
        if "BucketOwnerEnforced" not in owners:
            report_violation(
                f"bucket {bucket.name} still honours ACLs (S3.12): add aws.s3.BucketOwnershipControls with "
                "rule.object_ownership BucketOwnerEnforced",
                bucket.urn,
            )


TRANSIT_GATEWAY = "aws:ec2transitgateway/transitGateway:TransitGateway"
CLIENT_VPN_ENDPOINT = "aws:ec2clientvpn/endpoint:Endpoint"
S3_ACCESS_POINT = "aws:s3/accessPoint:AccessPoint"
ACCESS_POINT_BLOCKS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
"""S3.19: the four settings of an access point's public access block (each true when unset)."""


def network_edge_problems(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """EC2.23 (a transit gateway accepts every shared VPC attachment), EC2.51 (a Client VPN
    endpoint logs no connections) and S3.19 (an access point turns a public access block off)."""
    if resource_type == TRANSIT_GATEWAY:
        if props.get("autoAcceptSharedAttachments") != "enable":
            return []
        return [
            "autoAcceptSharedAttachments is enable (EC2.23): any account the gateway is shared with joins its "
            "network unreviewed; leave it disable and accept attachments one by one"
        ]
    if resource_type == CLIENT_VPN_ENDPOINT:
        if as_mapping(props.get("connectionLogOptions")).get("enabled") is True:
            return []
        return [
            "connectionLogOptions.enabled is not true (EC2.51): nobody can tell who connected; log to a "
            "CloudWatch log group (cloudwatch_log_group)"
        ]
    if resource_type == S3_ACCESS_POINT:
        block = as_mapping(props.get("publicAccessBlockConfiguration"))
        off = [key for key in ACCESS_POINT_BLOCKS if block.get(key) is False]
        turned_off = f"publicAccessBlockConfiguration turns {', '.join(off)} off (S3.19): leave all four true"
        return [turned_off] if off else []
    return []


def validate_network_edges(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Transit gateways review attachments, Client VPN logs connections, access points block
    public access (EC2.23, EC2.51, S3.19)."""
    for problem in network_edge_problems(args.resource_type, args.props):
        report_violation(f"{args.name}: {problem}", None)


EFS_FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
EFS_BACKUP_POLICY = ("aws:efs/backupPolicy:BackupPolicy",)
BACKUP_SELECTION = ("aws:backup/selection:Selection",)


def validate_efs_backed_up(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """EFS file systems are in a backup plan: an enabled BackupPolicy (AWS Backup's default plan)
    or a backup Selection of their own (EFS.2)."""
    for system in (r for r in args.resources if r.resource_type == EFS_FILE_SYSTEM):
        policies = _companions(args.resources, system, EFS_BACKUP_POLICY, "fileSystemId", "")
        enabled = [p for p in policies if as_mapping(p.props.get("backupPolicy")).get("status") == "ENABLED"]
        if not enabled and not _companions(args.resources, system, BACKUP_SELECTION, "", ""):
            report_violation(
                f"EFS file system {system.name} is in no backup plan (EFS.2): add aws.efs.BackupPolicy with "
                "backup_policy.status ENABLED, or an aws.backup.Selection of it",
                system.urn,
            )


RDS_INSTANCE = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
FORCE_SSL = "rds.force_ssl"
FORCE_SSL_DEFAULT_FROM = 15
"""RDS for PostgreSQL's default ``rds.force_ssl``: 1 from major version 15, 0 before (the RDS User
Guide, "Requiring an SSL/TLS connection to a PostgreSQL DB instance")."""


def _major(text: Any) -> int | None:
    found = re.search(r"(\d+)", str(text)) if text is not None else None
    return int(found.group(1)) if found else None


def force_ssl(instance: Mapping[str, Any], groups: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a PostgreSQL instance refuses unencrypted connections: its parameter group's
    ``rds.force_ssl`` when set, else the engine default of its major version (of the instance,
    else of the group's family). An instance without a version gets RDS's current default (17)."""
    for group in groups:
        for parameter in map(as_mapping, items(group.get("parameters"))):
            if parameter.get("name") == FORCE_SSL:
                return str(parameter.get("value")).strip() == "1"
    families = [_major(group.get("family")) for group in groups]
    major = _major(instance.get("engineVersion")) or next((f for f in families if f is not None), None)
    return major is None or major >= FORCE_SSL_DEFAULT_FROM


def validate_rds_encrypted_in_transit(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """PostgreSQL instances require SSL/TLS (RDS.38): ``rds.force_ssl`` 1 in their parameter
    group, or left at the engine's default where that is 1 (PostgreSQL 15 and later)."""
    by_name = {r.props.get("name"): r for r in args.resources if r.resource_type == PARAMETER_GROUP}
    for instance in (r for r in args.resources if r.resource_type == RDS_INSTANCE):
        if instance.props.get("engine") != "postgres":  # Aurora's force_ssl is its cluster parameter group's
            continue
        depended = {d.urn for d in instance.dependencies}
        groups = [r.props for r in args.resources if r.resource_type == PARAMETER_GROUP and r.urn in depended]
        named = by_name.get(instance.props.get("parameterGroupName"))
        groups += [named.props] if named is not None and named.props not in groups else []
        if not force_ssl(instance.props, groups):
            report_violation(
                f"database {instance.name} accepts unencrypted connections (RDS.38): set rds.force_ssl = 1 in its "
                "parameter group (ModelRegistry does)",
                instance.urn,
            )


LIFECYCLE_CONFIGURATIONS = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)


def validate_bucket_lifecycle(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Buckets have an enabled lifecycle rule (S3.13, S3.10); which objects and versions it expires
    is the bucket's decision (ArtifactBucket expires noncurrent versions)."""
    for bucket in (r for r in args.resources if r.resource_type in BUCKETS):
        inline = [as_mapping(r) for r in items(bucket.props.get("lifecycleRules"))]
        companions = _companions(args.resources, bucket, LIFECYCLE_CONFIGURATIONS, "bucket", "bucket")
        rules = [as_mapping(r) for c in companions for r in items(c.props.get("rules"))]
        enabled = [r for r in rules if r.get("status") == "Enabled"] + [r for r in inline if r.get("enabled") is True]
        if not enabled:
            report_violation(
                f"bucket {bucket.name} has no enabled lifecycle rule (S3.13, S3.10): objects and noncurrent "
                "versions are kept and billed forever; add aws.s3.BucketLifecycleConfiguration (ArtifactBucket "
                "expires noncurrent versions)",
                bucket.urn,
            )


POLICY_WRITES = ("s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutBucketPolicy", "s3:PutEncryptionConfiguration",
                 "s3:PutObjectAcl")  # fmt: skip
"""S3.6: the actions a bucket policy must not grant other principals (Config's
``s3-bucket-blacklisted-actions-prohibited`` defaults)."""


def policy_write_grants(document: Any) -> list[str]:
    """Allowed AWS principals of a bucket policy that may rewrite its policy, ACLs or encryption."""
    problems: list[str] = []
    for index, statement in enumerate(statements(document)):
        actions = [a.lower() for a in strings(statement.get("Action"))]
        excluded = [a.lower() for a in strings(statement.get("NotAction"))]
        if "NotAction" in statement:  # grants every action it does not list
            granted = [w for w in POLICY_WRITES if not any(fnmatch.fnmatchcase(w.lower(), a) for a in excluded)]
        else:
            granted = [w for w in POLICY_WRITES if any(fnmatch.fnmatchcase(w.lower(), a) for a in actions)]
        grantees = [value for kind, value in principals(statement) if kind in ("AWS", "*")]
        if allows(statement) and granted and grantees:
            problems.append(f"Statement[{index}] lets {', '.join(grantees)} {', '.join(granted)}")
    return problems


def validate_bucket_policy_writes(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Bucket policies grant no principal the right to change the bucket's policy, ACLs or encryption (S3.6)."""
    if args.resource_type != "aws:s3/bucketPolicy:BucketPolicy":
        return
    for problem in policy_write_grants(args.props.get("policy")):
        report_violation(
            f"bucket policy {args.name}: {problem} (S3.6): whoever holds it can open the bucket to anyone; grant "
            "bucket administration in the admin role's identity policy, never in the bucket policy",
            None,
        )


def validate_rds_enhanced_monitoring(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Databases collect Enhanced Monitoring's OS metrics (RDS.6): ``monitoringInterval`` above 0
    with a ``monitoringRoleArn`` RDS may assume."""
    if args.resource_type not in ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster"):
        return
    interval = args.props.get("monitoringInterval")
    if not interval or args.props.get("monitoringRoleArn") is None:
        report_violation(
            f"database {args.name}: monitoringInterval is {int(interval or 0)} or monitoringRoleArn unset (RDS.6): "
            "nothing shows the host's memory, swap and disk when the engine's metrics look fine; set "
            "monitoring_interval (60) and a role trusted by monitoring.rds.amazonaws.com with "
            "AmazonRDSEnhancedMonitoringRole (ModelRegistry does)",
            None,
        )
