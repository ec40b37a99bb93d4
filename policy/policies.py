"""berth's guardrails as Pulumi policies: the rules every stack must meet before anything is created.

`POLICIES` is the single list both runners use: `policy/__main__.py` serves it to the Pulumi CLI
(`pulumi preview --policy-pack policy`) and `policy.offline` feeds it the resources of a mock run.
This module imports only `pulumi_policy` and the standard library because the CLI runs the pack in
its own virtualenv (policy/venv) without the project's code.

Validators read `args.props` as the engine passes them: camelCase provider inputs, numbers as
floats, JSON documents (container definitions, lifecycle policies) as strings, and Mapping/Sequence
proxies that raise `UnknownValueError` for values a preview cannot know yet. Resource policies let
that error reach the engine (it reports the policy as not evaluated); stack policies check what
they can and re-raise the first unknown at the end (`_Checks`).

Production rules apply when a resource of the stack carries the tag `environment: production`
(the program tags every resource `production` or `non-production` from `berth:production`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

PACK_NAME = "berth-guardrails"
PACK_DESCRIPTION = ("berth's mandatory guardrails: scanned and pruned images, digest-pinned tasks, no plain "
                    "secrets, private task ports, fast safe rollouts, log retention, production redundancy.")

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
SCALING_TARGET = "aws:appautoscaling/target:Target"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
BEANSTALK_ENVIRONMENT = "aws:elasticbeanstalk/environment:Environment"
# pulumi-aws still accepts the older `aws:alb/...` tokens for the same ELBv2 resources.
TARGET_GROUPS = frozenset({"aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"})
LOAD_BALANCERS = frozenset({"aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"})
LISTENERS = frozenset({"aws:lb/listener:Listener", "aws:alb/listener:Listener"})

MAX_DEREGISTRATION_DELAY = 60
AWS_DEFAULT_DEREGISTRATION_DELAY = 300
# Same pattern as components/settings.py SECRET_LOOKING (the pack cannot import the program).
SECRET_LOOKING = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL", re.I)
DIGEST_PINNED = re.compile(r"[^@\s]+@sha256:[0-9a-f]{64}")

EB_ENVIRONMENT_NS = "aws:elasticbeanstalk:environment"
EB_ASG_NS = "aws:autoscaling:asg"
EB_LOGS_NS = "aws:elasticbeanstalk:cloudwatch:logs"
EB_APP_ENV_NS = "aws:elasticbeanstalk:application:environment"
EB_VPC_NS = "aws:ec2:vpc"
EB_LISTENER_NS = "aws:elbv2:listener"


# ---------------------------------------------------------------------------------------------
# Reading engine values

def _get(value: Any, *path: str) -> Any:
    """value[path[0]][path[1]]…, or None when a key is missing or a level is not a mapping."""
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def _items(value: Any) -> list[Any]:
    """The elements of a list input (a proxy Sequence in the engine); [] when absent."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return []


def _number(value: Any) -> float | None:
    """Engine numbers arrive as floats; a few provider inputs are numeric strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _show(value: Any) -> str:
    """A value for a message: 2 rather than 2.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _tags(props: Mapping[str, Any]) -> Mapping[str, Any]:
    tags = _get(props, "tags")
    return tags if isinstance(tags, Mapping) else {}


def _container_definitions(props: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], str | None]:
    """(containers, problem): the provider takes containerDefinitions as a JSON string."""
    raw = _get(props, "containerDefinitions")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            return [], f"containerDefinitions is not valid JSON ({exc.msg}), so it cannot be checked"
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not all(isinstance(c, Mapping) for c in raw):
        return [], "containerDefinitions is not a JSON list of container objects, so it cannot be checked"
    return list(raw), None


class EbSettings:
    """An Elastic Beanstalk environment's option settings: [{namespace, name, value, resource?}]."""

    def __init__(self, props: Mapping[str, Any]) -> None:
        self.entries = [s for s in _items(_get(props, "settings")) if isinstance(s, Mapping)]

    def get(self, namespace: str, name: str) -> str | None:
        for entry in self.entries:
            if entry.get("namespace") == namespace and entry.get("name") == name:
                value = entry.get("value")
                return None if value is None else str(value)
        return None

    def names(self, namespace: str) -> list[str]:
        return [str(e.get("name")) for e in self.entries if e.get("namespace") == namespace]

    def load_balanced(self, props: Mapping[str, Any]) -> bool:
        """Web tier environments are LoadBalanced unless EnvironmentType says SingleInstance."""
        if str(_get(props, "tier") or "WebServer").lower() == "worker":
            return False
        return (self.get(EB_ENVIRONMENT_NS, "EnvironmentType") or "LoadBalanced") != "SingleInstance"


# ---------------------------------------------------------------------------------------------
# Stack-policy helpers

class _Checks:
    """Runs the per-resource checks of a stack policy. A value a preview cannot know yet skips only
    the check that needed it; the first such error is re-raised at the end so the engine reports the
    policy as not evaluated rather than passed (violations found meanwhile are already reported)."""

    def __init__(self) -> None:
        self.unknown: UnknownValueError | None = None

    def run(self, check: Callable[..., None], *args: Any) -> None:
        try:
            check(*args)
        except UnknownValueError as exc:
            self.unknown = self.unknown or exc

    def finish(self) -> None:
        if self.unknown is not None:
            raise self.unknown


def _of_type(resources: Iterable[PolicyResource], *types: str | frozenset[str]) -> list[PolicyResource]:
    wanted: set[str] = set()
    for t in types:
        wanted |= {t} if isinstance(t, str) else set(t)
    return [r for r in resources if r.resource_type in wanted]


def _is_production(resources: Iterable[PolicyResource]) -> bool:
    for r in resources:
        try:
            if _tags(r.props).get("environment") == "production":
                return True
        except UnknownValueError:
            continue  # tags computed from outputs: this resource cannot tell
    return False


def _reference(resource: PolicyResource, path: Sequence[str], of_type: str | None = None) -> tuple[set[str], set[str]]:
    """What an id-valued input at `path` points at: (known ids, URNs of the resources it depends on).

    During a preview the ids of resources still to be created are unknown, but the engine passes each
    input's property dependencies, so references match by id when known and by URN always.
    """
    urns = {d.urn for d in (resource.property_dependencies or {}).get(path[0], [])
            if of_type is None or d.resource_type == of_type}
    try:
        value = _get(resource.props, *path)
        ids = {v for v in ([value] if isinstance(value, str) else _items(value)) if isinstance(v, str)}
    except UnknownValueError:
        if not urns:
            raise
        ids = set()
    return ids, urns


def _refers(a: tuple[set[str], set[str]], b: tuple[set[str], set[str]]) -> bool:
    return bool(a[0] & b[0] or a[1] & b[1])


def _resource_policy(name: str, description: str, types: Iterable[str],
                     check: Callable[[ResourceValidationArgs, ReportViolation], None]) -> ResourceValidationPolicy:
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in wanted:
            check(args, report_violation)

    return ResourceValidationPolicy(name=name, description=description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY)


def _stack_policy(name: str, description: str,
                  check: Callable[[StackValidationArgs, ReportViolation], None]) -> StackValidationPolicy:
    return StackValidationPolicy(name=name, description=description, validate=check,
                                 enforcement_level=EnforcementLevel.MANDATORY)


# ---------------------------------------------------------------------------------------------
# Resource policies

def _ecr_scan_on_push(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if _get(args.props, "imageScanningConfiguration", "scanOnPush") is not True:
        report(f"ECR repository {args.name} does not scan images on push; set "
               "imageScanningConfiguration.scanOnPush = true so known CVEs show up before a deploy")


def _target_group_health_check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    hc = _get(args.props, "healthCheck")
    if not isinstance(hc, Mapping):
        report(f"target group {args.name} has no healthCheck: AWS would probe / every 30 s and need 5 passes "
               "before a new task gets traffic; set healthCheck with the app's health path")
        return
    if hc.get("enabled") is False:
        report(f"target group {args.name} has its health check disabled: failed tasks keep receiving traffic "
               "and the deployment circuit breaker cannot see them")
        return
    protocol = str(hc.get("protocol") or "HTTP").upper()
    if protocol in ("HTTP", "HTTPS") and not hc.get("path"):
        report(f"target group {args.name} health check has no path: set healthCheck.path to the app's "
               "health endpoint (e.g. /health) instead of relying on AWS's default /")


def _deregistration_delay(args: ResourceValidationArgs, report: ReportViolation) -> None:
    raw = _get(args.props, "deregistrationDelay")
    if raw is None:
        report(f"target group {args.name} does not set deregistrationDelay, so AWS drains old targets for "
               f"{AWS_DEFAULT_DEREGISTRATION_DELAY} s on every rollout; set it to at most "
               f"{MAX_DEREGISTRATION_DELAY} s")
        return
    delay = _number(raw)
    if delay is None or delay > MAX_DEREGISTRATION_DELAY:
        report(f"target group {args.name} deregistrationDelay is {_show(raw)} s; at most "
               f"{MAX_DEREGISTRATION_DELAY} s keeps rollouts and rollbacks fast")


def _circuit_breaker(args: ResourceValidationArgs, report: ReportViolation) -> None:
    cb = _get(args.props, "deploymentCircuitBreaker")
    enable = _get(cb, "enable") is True
    rollback = _get(cb, "rollback") is True
    if not (enable and rollback):
        report(f"ECS service {args.name} deploymentCircuitBreaker is enable={enable}, rollback={rollback}; "
               "set both true so a deployment whose tasks never turn healthy rolls back on its own")


def _log_group_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    days = _number(_get(args.props, "retentionInDays"))
    if not days or days <= 0:
        report(f"log group {args.name} has no retentionInDays, so its logs never expire and are billed "
               "forever; set a retention (berth:logRetentionDays)")


def _beanstalk_log_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    eb = EbSettings(args.props)
    if not _is_true(eb.get(EB_LOGS_NS, "StreamLogs")):
        report(f"Beanstalk environment {args.name} does not stream logs to CloudWatch: set {EB_LOGS_NS} "
               "StreamLogs = true (with RetentionInDays) so logs outlive the instances")
        return
    days = _number(eb.get(EB_LOGS_NS, "RetentionInDays"))
    if not days or days <= 0:
        report(f"Beanstalk environment {args.name} streams logs without RetentionInDays; set "
               f"{EB_LOGS_NS} RetentionInDays so the retention is chosen, not defaulted")


def _no_plain_secret_env(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == BEANSTALK_ENVIRONMENT:
        for name in EbSettings(args.props).names(EB_APP_ENV_NS):
            if SECRET_LOOKING.search(name):
                report(f"Beanstalk environment {args.name}: environment property {name} looks like a secret "
                       "but is a plain option setting; reference a Secrets Manager secret or SSM parameter "
                       "instead")
        return
    containers, problem = _container_definitions(args.props)
    if problem:
        report(f"task definition {args.name}: {problem}")
    for c in containers:
        for entry in _items(c.get("environment")):
            name = str(_get(entry, "name") or "")
            if SECRET_LOOKING.search(name):
                report(f"task definition {args.name}, container {c.get('name')}: environment variable {name} "
                       "looks like a secret but is a plain value; move it to `secrets` with valueFrom = "
                       "<Secrets Manager or SSM parameter ARN>")


def _image_digest_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    containers, problem = _container_definitions(args.props)
    if problem:
        report(f"task definition {args.name}: {problem}")
    for c in containers:
        image = c.get("image")
        if not (isinstance(image, str) and DIGEST_PINNED.fullmatch(image)):
            report(f"task definition {args.name}, container {c.get('name')}: image {_show(image)} is not "
                   "pinned by digest; use repo@sha256:<64 hex> so every task runs the same image and a new "
                   "image is a new revision")


def _beanstalk_not_classic(args: ResourceValidationArgs, report: ReportViolation) -> None:
    eb = EbSettings(args.props)
    if not eb.load_balanced(args.props):
        return  # single instance or worker tier: no load balancer at all
    lb_type = eb.get(EB_ENVIRONMENT_NS, "LoadBalancerType")
    if lb_type is None:
        report(f"Beanstalk environment {args.name} does not set {EB_ENVIRONMENT_NS} LoadBalancerType, so it "
               "gets a classic load balancer; set it to application")
    elif lb_type.lower() == "classic":
        report(f"Beanstalk environment {args.name} uses a classic load balancer; set {EB_ENVIRONMENT_NS} "
               "LoadBalancerType to application")


# ---------------------------------------------------------------------------------------------
# Stack policies

def _ecr_lifecycle(args: StackValidationArgs, report: ReportViolation) -> None:
    checks = _Checks()
    policies = _of_type(args.resources, LIFECYCLE_POLICY)

    def check(repo: PolicyResource) -> None:
        name = _get(repo.props, "name")
        target = ({name} if isinstance(name, str) else set(), {repo.urn})
        found = [p for p in policies if _refers(_reference(p, ["repository"]), target)]
        if not found:
            report(f"ECR repository {name or repo.name} has no lifecycle policy: untagged images pile up and "
                   "are billed forever; add an aws.ecr.LifecyclePolicy with at least one rule", repo.urn)
        for p in found:
            try:
                rules = _get(json.loads(_get(p.props, "policy")), "rules")
            except (TypeError, ValueError):
                rules = None
            if not _items(rules):
                report(f"lifecycle policy {p.name} of ECR repository {name or repo.name} has no rules, so it "
                       "expires nothing", p.urn)

    for repo in _of_type(args.resources, REPOSITORY):
        checks.run(check, repo)
    checks.finish()


def _covers(protocol: Any, low: Any, high: Any, port: float) -> bool:
    protocol = str(protocol).lower()
    if protocol in ("-1", "all"):
        return True
    if protocol not in ("tcp", "6"):
        return False  # the app port is TCP
    lo, hi = _number(low), _number(high)
    return (0 if lo is None else lo) <= port <= (65535 if hi is None else hi)


def _world(cidrs: Iterable[Any]) -> str | None:
    """The first CIDR that means the whole internet (prefix /0), if any."""
    for cidr in cidrs:
        try:
            if isinstance(cidr, str) and ipaddress.ip_network(cidr, strict=False).prefixlen == 0:
                return cidr
        except ValueError:
            continue
    return None


def _task_sg_no_public_app_port(args: StackValidationArgs, report: ReportViolation) -> None:
    checks = _Checks()
    # (service, its task security groups, its app ports)
    services: list[tuple[PolicyResource, tuple[set[str], set[str]], set[float]]] = []

    def collect(service: PolicyResource) -> None:
        ref = _reference(service, ["networkConfiguration", "securityGroups"], SECURITY_GROUP)
        ports = {p for lb in _items(_get(service.props, "loadBalancers"))
                 if (p := _number(_get(lb, "containerPort"))) is not None}
        if ports and (ref[0] or ref[1]):
            services.append((service, ref, ports))

    for service in _of_type(args.resources, SERVICE):
        checks.run(collect, service)

    def flag(rule: PolicyResource, ref: tuple[set[str], set[str]], protocol: Any, low: Any, high: Any,
             cidr: str) -> None:
        for service, task_sgs, ports in services:
            if not _refers(ref, task_sgs):
                continue
            for port in sorted(p for p in ports if _covers(protocol, low, high, p)):
                report(f"{rule.name} opens app port {_show(port)} of ECS service {service.name} to {cidr} on "
                       "its task security group; admit the app port only from the load balancer's security "
                       "group (referencedSecurityGroupId)", rule.urn)

    def check_rule(rule: PolicyResource) -> None:
        p = rule.props
        if rule.resource_type == INGRESS_RULE:
            cidr = _world([_get(p, "cidrIpv4"), _get(p, "cidrIpv6")])
            if cidr:
                ref = _reference(rule, ["securityGroupId"])
                flag(rule, ref, _get(p, "ipProtocol"), _get(p, "fromPort"), _get(p, "toPort"), cidr)
        elif rule.resource_type == LEGACY_RULE:
            cidr = _world(_items(_get(p, "cidrBlocks")) + _items(_get(p, "ipv6CidrBlocks")))
            if _get(p, "type") == "ingress" and cidr:
                ref = _reference(rule, ["securityGroupId"])
                flag(rule, ref, _get(p, "protocol"), _get(p, "fromPort"), _get(p, "toPort"), cidr)
        else:  # inline `ingress` blocks of a SecurityGroup: the group is the resource itself
            for block in _items(_get(p, "ingress")):
                cidr = _world(_items(_get(block, "cidrBlocks")) + _items(_get(block, "ipv6CidrBlocks")))
                if cidr:
                    flag(rule, (set(), {rule.urn}), _get(block, "protocol"), _get(block, "fromPort"),
                         _get(block, "toPort"), cidr)

    if services:
        for rule in _of_type(args.resources, INGRESS_RULE, LEGACY_RULE, SECURITY_GROUP):
            checks.run(check_rule, rule)
    checks.finish()


def _production_min_two(args: StackValidationArgs, report: ReportViolation) -> None:
    if not _is_production(args.resources):
        return
    checks = _Checks()

    def service(r: PolicyResource) -> None:
        desired = _number(_get(r.props, "desiredCount"))
        if desired is None or desired < 2:
            report(f"production ECS service {r.name} runs desiredCount {_show(desired or 0)}; run at least 2 "
                   "tasks so one failing task or AZ does not take the app down", r.urn)

    def scaling(r: PolicyResource) -> None:
        if _get(r.props, "serviceNamespace") != "ecs":
            return
        low = _number(_get(r.props, "minCapacity"))
        if low is None or low < 2:
            report(f"production autoscaling target {r.name} has minCapacity {_show(low or 0)}; autoscaling "
                   "could scale the service in below 2 tasks", r.urn)

    def beanstalk(r: PolicyResource) -> None:
        eb = EbSettings(r.props)
        if not eb.load_balanced(r.props):
            report(f"production Beanstalk environment {r.name} is a single instance; set {EB_ENVIRONMENT_NS} "
                   "EnvironmentType = LoadBalanced", r.urn)
            return
        low = _number(eb.get(EB_ASG_NS, "MinSize"))
        if low is None or low < 2:
            report(f"production Beanstalk environment {r.name} has {EB_ASG_NS} MinSize "
                   f"{_show(low) if low is not None else 'unset (default 1)'}; set MinSize to at least 2", r.urn)

    for r in _of_type(args.resources, SERVICE):
        checks.run(service, r)
    for r in _of_type(args.resources, SCALING_TARGET):
        checks.run(scaling, r)
    for r in _of_type(args.resources, BEANSTALK_ENVIRONMENT):
        checks.run(beanstalk, r)
    checks.finish()


def _production_multi_az(args: StackValidationArgs, report: ReportViolation) -> None:
    if not _is_production(args.resources):
        return
    checks = _Checks()

    # berth puts one subnet in each AZ, so distinct subnets stand for distinct AZs.
    def service(r: PolicyResource) -> None:
        subnets = _items(_get(r.props, "networkConfiguration", "subnets"))
        if len(subnets) < 2:
            report(f"production ECS service {r.name} has {len(subnets)} subnet(s); give it subnets in at least "
                   "2 availability zones", r.urn)

    def load_balancer(r: PolicyResource) -> None:
        subnets = _items(_get(r.props, "subnets")) or _items(_get(r.props, "subnetMappings"))
        if len(subnets) < 2:
            report(f"production load balancer {r.name} has {len(subnets)} subnet(s); give it subnets in at "
                   "least 2 availability zones", r.urn)

    def beanstalk(r: PolicyResource) -> None:
        eb = EbSettings(r.props)
        for option in ("Subnets", "ELBSubnets"):
            value = eb.get(EB_VPC_NS, option)
            if value is not None and len([s for s in value.split(",") if s.strip()]) < 2:
                report(f"production Beanstalk environment {r.name} sets {EB_VPC_NS} {option} to {value!r}; "
                       "list subnets in at least 2 availability zones", r.urn)
        zones = eb.get(EB_ASG_NS, "Availability Zones")
        if zones is not None and zones.strip().lower() == "any 1":
            report(f"production Beanstalk environment {r.name} pins its instances to one AZ ({EB_ASG_NS} "
                   "Availability Zones = 'Any 1'); use Any or Any 2", r.urn)

    for r in _of_type(args.resources, SERVICE):
        checks.run(service, r)
    for r in _of_type(args.resources, LOAD_BALANCERS):
        checks.run(load_balancer, r)
    for r in _of_type(args.resources, BEANSTALK_ENVIRONMENT):
        checks.run(beanstalk, r)
    checks.finish()


def _production_https(args: StackValidationArgs, report: ReportViolation) -> None:
    if not _is_production(args.resources):
        return
    listeners = _of_type(args.resources, LISTENERS)
    checks = _Checks()
    seen = {"certificate": False, "https443": False}

    def read(r: PolicyResource) -> None:
        seen["certificate"] |= bool(_get(r.props, "certificateArn"))
        seen["https443"] |= (_number(_get(r.props, "port")) == 443
                             and str(_get(r.props, "protocol") or "").upper() == "HTTPS")

    def http(r: PolicyResource) -> None:
        if str(_get(r.props, "protocol") or "").upper() != "HTTP":
            return
        redirects = any(_get(a, "type") == "redirect" and str(_get(a, "redirect", "protocol") or "").upper()
                        == "HTTPS" for a in _items(_get(r.props, "defaultActions")))
        if not redirects:
            report(f"HTTP listener {r.name} (port {_show(_get(r.props, 'port'))}) serves plain HTTP although a "
                   "certificate is configured; make its default action a redirect to HTTPS", r.urn)

    def beanstalk(r: PolicyResource) -> None:
        # EB option settings cannot express an HTTP->HTTPS redirect, so only the 443 listener is required.
        eb = EbSettings(r.props)
        if not any(str(e.get("namespace")).startswith(EB_LISTENER_NS) and e.get("name") == "SSLCertificateArns"
                   and e.get("value") for e in eb.entries):
            return
        https = (str(eb.get(f"{EB_LISTENER_NS}:443", "Protocol") or "").upper() == "HTTPS"
                 and (eb.get(f"{EB_LISTENER_NS}:443", "ListenerEnabled") or "true").lower() != "false")
        if not https:
            report(f"production Beanstalk environment {r.name} has a certificate but no enabled HTTPS listener "
                   f"on 443; set {EB_LISTENER_NS}:443 Protocol = HTTPS with SSLCertificateArns", r.urn)

    for r in listeners:
        checks.run(read, r)
    if seen["certificate"]:
        # Only claim "no :443" when every listener could be read.
        if not seen["https443"] and checks.unknown is None:
            report("a listener has a certificate but no HTTPS listener serves port 443; add an HTTPS :443 "
                   "listener with the certificate")
        for r in listeners:
            checks.run(http, r)
    for r in _of_type(args.resources, BEANSTALK_ENVIRONMENT):
        checks.run(beanstalk, r)
    checks.finish()


def _production_deletion_protection(args: StackValidationArgs, report: ReportViolation) -> None:
    if not _is_production(args.resources):
        return
    checks = _Checks()

    def check(r: PolicyResource) -> None:
        if _get(r.props, "enableDeletionProtection") is not True:
            report(f"production load balancer {r.name} has enableDeletionProtection off; turn it on so a "
                   "stray destroy or console click cannot remove the app's front door", r.urn)

    for r in _of_type(args.resources, LOAD_BALANCERS):
        checks.run(check, r)
    checks.finish()


# ---------------------------------------------------------------------------------------------

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    _resource_policy("ecr-scan-on-push", "ECR repositories scan images on push.", [REPOSITORY],
                     _ecr_scan_on_push),
    _stack_policy("ecr-lifecycle-policy", "Every ECR repository has a lifecycle policy with rules.",
                  _ecr_lifecycle),
    _stack_policy("task-sg-no-public-app-port",
                  "The ECS task security group never admits 0.0.0.0/0 or ::/0 on the app port.",
                  _task_sg_no_public_app_port),
    _resource_policy("alb-target-group-health-check",
                     "Target groups have an enabled health check with a path.", TARGET_GROUPS,
                     _target_group_health_check),
    _resource_policy("alb-deregistration-delay",
                     f"Target groups drain targets in at most {MAX_DEREGISTRATION_DELAY} s.", TARGET_GROUPS,
                     _deregistration_delay),
    _resource_policy("ecs-circuit-breaker-rollback",
                     "ECS services deploy with the circuit breaker on and rollback on.", [SERVICE],
                     _circuit_breaker),
    _resource_policy("cloudwatch-log-retention", "CloudWatch log groups have a retention period.", [LOG_GROUP],
                     _log_group_retention),
    _resource_policy("beanstalk-log-retention",
                     "Elastic Beanstalk environments stream logs to CloudWatch with a retention period.",
                     [BEANSTALK_ENVIRONMENT], _beanstalk_log_retention),
    _resource_policy("no-plain-secret-env",
                     "Secret-looking environment variables come through secrets/valueFrom, never plain values.",
                     [TASK_DEFINITION, BEANSTALK_ENVIRONMENT], _no_plain_secret_env),
    _resource_policy("task-image-digest-pinned", "Task definitions run images pinned by digest.",
                     [TASK_DEFINITION], _image_digest_pinned),
    _resource_policy("beanstalk-no-classic-load-balancer",
                     "Load-balanced Elastic Beanstalk environments do not use a classic load balancer.",
                     [BEANSTALK_ENVIRONMENT], _beanstalk_not_classic),
    _stack_policy("production-min-two-tasks",
                  "Production runs at least 2 tasks or instances at all times.", _production_min_two),
    _stack_policy("production-multi-az", "Production spreads over at least 2 availability zones.",
                  _production_multi_az),
    _stack_policy("production-https",
                  "Production with a certificate serves HTTPS on 443 (and ALB listeners redirect HTTP to it).",
                  _production_https),
    _stack_policy("production-deletion-protection", "Production load balancers have deletion protection on.",
                  _production_deletion_protection),
]
