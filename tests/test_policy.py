"""The policy pack (policy/): every policy with a failing and a passing input, the committed stacks,
the offline runner's fidelity to the engine, and the real pack's entry point.

Cases start from GOOD, a small production stack (ECS service behind an ALB with HTTPS, plus an
Elastic Beanstalk environment) that passes every policy, and change one thing: a failing case must
produce exactly one violation, of the expected policy, on the expected resource, with the expected
message; a passing case must produce none at all.
"""

from __future__ import annotations

import copy
import json
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from components import settings
from policy import offline
from policy.policies import POLICIES, SECRET_LOOKING
from tools.plan import build_plan
from tools.runner import committed_stacks, run_stack

ROOT = Path(__file__).resolve().parents[1]
POLICY_DIR = ROOT / "policy"
BY_NAME = {p.name: p for p in POLICIES}

REPO = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ALB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
SERVICE = "aws:ecs/service:Service"
SCALING = "aws:appautoscaling/target:Target"
EB = "aws:elasticbeanstalk/environment:Environment"

ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-alb/1a2b"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/3c4d"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f0f"
DIGEST_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/catnip-prod@sha256:" + "ab" * 32
DB_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
PROD = {"app": "catnip", "environment": "production"}

ENV_NS = "aws:elasticbeanstalk:environment"
ASG_NS = "aws:autoscaling:asg"
LOGS_NS = "aws:elasticbeanstalk:cloudwatch:logs"
APP_ENV_NS = "aws:elasticbeanstalk:application:environment"
VPC_NS = "aws:ec2:vpc"
EB_443 = "aws:elbv2:listener:443"


def res(typ: str, name: str, inputs: dict, id_: str | None = None) -> dict:
    return {"type": typ, "name": name, "parent": "web", "id": id_ or f"{name}-id", "protect": False,
            "inputs": inputs}


def eb_settings(options: dict[tuple[str, str], str]) -> list[dict]:
    return [{"namespace": ns, "name": name, "value": value, "resource": ""}
            for (ns, name), value in sorted(options.items())]


EB_GOOD = {
    (ENV_NS, "EnvironmentType"): "LoadBalanced",
    (ENV_NS, "LoadBalancerType"): "application",
    (ASG_NS, "MinSize"): "2",
    (ASG_NS, "MaxSize"): "4",
    (LOGS_NS, "StreamLogs"): "true",
    (LOGS_NS, "RetentionInDays"): "30",
    (VPC_NS, "Subnets"): "subnet-a,subnet-b",
    (APP_ENV_NS, "LOG_LEVEL"): "info",
}


def containers(**changes: Any) -> str:
    c = {"name": "catnip", "image": DIGEST_IMAGE, "essential": True,
         "portMappings": [{"containerPort": 5000, "hostPort": 5000, "protocol": "tcp"}],
         "environment": [{"name": "PORT", "value": "5000"}],
         "secrets": [{"name": "DB_PASSWORD", "valueFrom": DB_ARN}]}
    c.update(changes)
    return json.dumps([c])


def good() -> list[dict]:
    return [
        res(REPO, "repo", {"name": "catnip-prod", "imageScanningConfiguration": {"scanOnPush": True},
                           "tags": PROD}, "catnip-prod"),
        res(LIFECYCLE, "lifecycle", {"repository": "catnip-prod", "policy": json.dumps({"rules": [
            {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                              "countNumber": 10}, "action": {"type": "expire"}}]})}),
        res(LOG_GROUP, "logs", {"name": "/berth/catnip/prod", "retentionInDays": 30, "tags": PROD}),
        res(TASK_DEF, "task", {"family": "catnip-prod", "containerDefinitions": containers(), "tags": PROD}),
        res(SG, "alb-sg", {"description": "alb", "tags": PROD}, "sg-alb"),
        res(SG, "task-sg", {"description": "tasks", "tags": PROD}, "sg-task"),
        res(INGRESS, "alb-in-80", {"securityGroupId": "sg-alb", "ipProtocol": "tcp", "fromPort": 80, "toPort": 80,
                                   "cidrIpv4": "0.0.0.0/0"}),
        res(INGRESS, "task-in-app", {"securityGroupId": "sg-task", "ipProtocol": "tcp", "fromPort": 5000,
                                     "toPort": 5000, "referencedSecurityGroupId": "sg-alb"}),
        res(ALB, "alb", {"loadBalancerType": "application", "subnets": ["subnet-a", "subnet-b"],
                         "enableDeletionProtection": True, "securityGroups": ["sg-alb"], "tags": PROD}, ALB_ARN),
        res(TG, "tg", {"port": 5000, "protocol": "HTTP", "targetType": "ip", "deregistrationDelay": 15,
                       "healthCheck": {"enabled": True, "path": "/health", "protocol": "HTTP", "interval": 5},
                       "tags": PROD}, TG_ARN),
        res(LISTENER, "http", {"loadBalancerArn": ALB_ARN, "port": 80, "protocol": "HTTP", "tags": PROD,
                               "defaultActions": [{"type": "redirect", "redirect": {
                                   "protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]}),
        res(LISTENER, "https", {"loadBalancerArn": ALB_ARN, "port": 443, "protocol": "HTTPS", "certificateArn": CERT,
                                "defaultActions": [{"type": "forward", "targetGroupArn": TG_ARN}], "tags": PROD}),
        res(SERVICE, "service", {
            "desiredCount": 2, "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "networkConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-task"],
                                     "assignPublicIp": True},
            "loadBalancers": [{"targetGroupArn": TG_ARN, "containerName": "catnip", "containerPort": 5000}],
            "tags": PROD}),
        res(SCALING, "scaling", {"serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
                                 "minCapacity": 2, "maxCapacity": 6}),
        res(EB, "eb-env", {"tier": "WebServer", "settings": eb_settings(EB_GOOD), "tags": PROD}),
    ]


# ---------------------------------------------------------------------------------------------
# Mutations of GOOD

Mutation = Callable[[list[dict]], None]
DELETE = object()


def _find(stack: list[dict], name: str) -> dict:
    return next(r for r in stack if r["name"] == name)


def put(name: str, path: str, value: Any) -> Mutation:
    """Set (or DELETE) inputs.<path> of resource `name`; path parts are dot-separated."""
    def apply(stack: list[dict]) -> None:
        *parents, last = path.split(".")
        target = _find(stack, name)["inputs"]
        for part in parents:
            target = target[part]
        if value is DELETE:
            target.pop(last, None)
        else:
            target[last] = value
    return apply


def eb(option: tuple[str, str], value: str | None) -> Mutation:
    """Set or (None) remove one Beanstalk option of eb-env."""
    def apply(stack: list[dict]) -> None:
        options = {(s["namespace"], s["name"]): s["value"] for s in _find(stack, "eb-env")["inputs"]["settings"]}
        if value is None:
            options.pop(option, None)
        else:
            options[option] = value
        _find(stack, "eb-env")["inputs"]["settings"] = eb_settings(options)
    return apply


def add(resource: dict) -> Mutation:
    return lambda stack: stack.append(resource)


def remove(name: str) -> Mutation:
    return lambda stack: stack.remove(_find(stack, name))


def non_production(stack: list[dict]) -> None:
    for r in stack:
        if "tags" in r["inputs"]:
            r["inputs"]["tags"]["environment"] = "non-production"


@dataclass
class Case:
    policy: str
    id: str
    changes: list[Mutation] = field(default_factory=list)
    resource: str | None = None  # the resource the single violation is reported on (None: the stack)
    fragment: str | None = None  # None: a passing case, the stack must have no violation at all


def world(name: str, sg: str, protocol: str = "tcp", low: int | None = 5000, high: int | None = 5000,
          v4: str | None = "0.0.0.0/0", v6: str | None = None) -> dict:
    inputs: dict[str, Any] = {"securityGroupId": sg, "ipProtocol": protocol}
    inputs.update({k: v for k, v in {"fromPort": low, "toPort": high, "cidrIpv4": v4, "cidrIpv6": v6}.items()
                   if v is not None})
    return res(INGRESS, name, inputs)


CASES = [
    # ecr-scan-on-push
    Case("ecr-scan-on-push", "scan-off", [put("repo", "imageScanningConfiguration.scanOnPush", False)],
         "repo", "ECR repository repo does not scan images on push"),
    Case("ecr-scan-on-push", "scan-config-absent", [put("repo", "imageScanningConfiguration", DELETE)],
         "repo", "imageScanningConfiguration.scanOnPush = true"),
    Case("ecr-scan-on-push", "scan-on"),
    # ecr-lifecycle-policy
    Case("ecr-lifecycle-policy", "no-lifecycle", [remove("lifecycle")],
         "repo", "ECR repository catnip-prod has no lifecycle policy"),
    Case("ecr-lifecycle-policy", "lifecycle-of-another-repo", [put("lifecycle", "repository", "other-repo")],
         "repo", "catnip-prod has no lifecycle policy"),
    Case("ecr-lifecycle-policy", "lifecycle-without-rules", [put("lifecycle", "policy", '{"rules": []}')],
         "lifecycle", "lifecycle policy lifecycle of ECR repository catnip-prod has no rules"),
    # An auto-named repository: matched through the dependency on its id, as the engine would.
    Case("ecr-lifecycle-policy", "auto-named-repo-matched-by-id",
         [put("repo", "name", DELETE), lambda s: _find(s, "repo").update(id="catnip-prod-5e6f"),
          put("lifecycle", "repository", "catnip-prod-5e6f")]),
    # task-sg-no-public-app-port
    Case("task-sg-no-public-app-port", "world-on-app-port", [add(world("task-open", "sg-task"))],
         "task-open", "task-open opens app port 5000 of ECS service service to 0.0.0.0/0 on its task security group"),
    Case("task-sg-no-public-app-port", "all-traffic-ipv6",
         [add(world("task-all6", "sg-task", protocol="-1", low=None, high=None, v4=None, v6="::/0"))],
         "task-all6", "opens app port 5000 of ECS service service to ::/0"),
    Case("task-sg-no-public-app-port", "port-range-covering-app-port",
         [add(world("task-range", "sg-task", low=4000, high=6000))], "task-range", "opens app port 5000"),
    Case("task-sg-no-public-app-port", "legacy-rule-resource",
         [add(res(LEGACY_RULE, "task-legacy", {"type": "ingress", "securityGroupId": "sg-task", "protocol": "tcp",
                                               "fromPort": 5000, "toPort": 5000, "cidrBlocks": ["0.0.0.0/0"]}))],
         "task-legacy", "opens app port 5000"),
    Case("task-sg-no-public-app-port", "inline-ingress-on-task-sg",
         [put("task-sg", "ingress", [{"protocol": "tcp", "fromPort": 5000, "toPort": 5000,
                                      "cidrBlocks": ["10.0.0.0/8", "0.0.0.0/0"]}])],
         "task-sg", "task-sg opens app port 5000 of ECS service service to 0.0.0.0/0"),
    Case("task-sg-no-public-app-port", "world-on-other-port-of-task-sg",
         [add(world("task-443", "sg-task", low=443, high=443))]),
    Case("task-sg-no-public-app-port", "world-udp-app-port", [add(world("task-udp", "sg-task", protocol="udp"))]),
    Case("task-sg-no-public-app-port", "world-app-port-on-alb-sg", [add(world("alb-5000", "sg-alb"))]),
    Case("task-sg-no-public-app-port", "private-cidr-on-app-port",
         [add(world("task-vpc", "sg-task", v4="10.0.0.0/16"))]),
    # alb-target-group-health-check
    Case("alb-target-group-health-check", "no-health-check", [put("tg", "healthCheck", DELETE)],
         "tg", "target group tg has no healthCheck"),
    Case("alb-target-group-health-check", "disabled", [put("tg", "healthCheck.enabled", False)],
         "tg", "health check disabled"),
    Case("alb-target-group-health-check", "no-path", [put("tg", "healthCheck.path", DELETE)],
         "tg", "health check has no path"),
    Case("alb-target-group-health-check", "tcp-check-needs-no-path",
         [put("tg", "healthCheck", {"enabled": True, "protocol": "TCP"})]),
    # alb-deregistration-delay
    Case("alb-deregistration-delay", "absent-means-300", [put("tg", "deregistrationDelay", DELETE)],
         "tg", "does not set deregistrationDelay, so AWS drains old targets for 300 s"),
    Case("alb-deregistration-delay", "too-long", [put("tg", "deregistrationDelay", 120)],
         "tg", "deregistrationDelay is 120 s; at most 60 s"),
    Case("alb-deregistration-delay", "numeric-string-too-long", [put("tg", "deregistrationDelay", "61")],
         "tg", "deregistrationDelay is '61' s"),
    Case("alb-deregistration-delay", "limit", [put("tg", "deregistrationDelay", 60)]),
    Case("alb-deregistration-delay", "zero", [put("tg", "deregistrationDelay", 0)]),
    # ecs-circuit-breaker-rollback
    Case("ecs-circuit-breaker-rollback", "no-rollback", [put("service", "deploymentCircuitBreaker.rollback", False)],
         "service", "deploymentCircuitBreaker is enable=True, rollback=False"),
    Case("ecs-circuit-breaker-rollback", "absent", [put("service", "deploymentCircuitBreaker", DELETE)],
         "service", "enable=False, rollback=False"),
    Case("ecs-circuit-breaker-rollback", "on"),
    # cloudwatch-log-retention
    Case("cloudwatch-log-retention", "absent", [put("logs", "retentionInDays", DELETE)],
         "logs", "log group logs has no retentionInDays, so its logs never expire"),
    Case("cloudwatch-log-retention", "zero-means-never", [put("logs", "retentionInDays", 0)],
         "logs", "never expire"),
    Case("cloudwatch-log-retention", "one-day", [put("logs", "retentionInDays", 1)]),
    # beanstalk-log-retention
    Case("beanstalk-log-retention", "no-streaming", [eb((LOGS_NS, "StreamLogs"), "false")],
         "eb-env", "Beanstalk environment eb-env does not stream logs to CloudWatch"),
    Case("beanstalk-log-retention", "no-retention", [eb((LOGS_NS, "RetentionInDays"), None)],
         "eb-env", "streams logs without RetentionInDays"),
    Case("beanstalk-log-retention", "streaming-capitalised-true", [eb((LOGS_NS, "StreamLogs"), "True")]),
    # no-plain-secret-env
    Case("no-plain-secret-env", "token-in-environment",
         [put("task", "containerDefinitions", containers(environment=[{"name": "PORT", "value": "5000"},
                                                                      {"name": "API_TOKEN", "value": "abc"}]))],
         "task", "container catnip: environment variable API_TOKEN looks like a secret but is a plain value"),
    Case("no-plain-secret-env", "lowercase-password",
         [put("task", "containerDefinitions", containers(environment=[{"name": "db_password", "value": "x"}]))],
         "task", "db_password looks like a secret"),
    Case("no-plain-secret-env", "beanstalk-env-property", [eb((APP_ENV_NS, "STRIPE_SECRET"), "sk_live")],
         "eb-env", "environment property STRIPE_SECRET looks like a secret"),
    Case("no-plain-secret-env", "secret-through-valueFrom"),
    # task-image-digest-pinned
    Case("task-image-digest-pinned", "tag",
         [put("task", "containerDefinitions", containers(image="docker.io/yourusername/catnip:latest"))],
         "task", "image 'docker.io/yourusername/catnip:latest' is not pinned by digest"),
    Case("task-image-digest-pinned", "short-digest",
         [put("task", "containerDefinitions", containers(image="repo/catnip@sha256:abc123"))],
         "task", "is not pinned by digest"),
    Case("task-image-digest-pinned", "tag-and-digest",
         [put("task", "containerDefinitions", containers(image="docker.io/yourusername/catnip:1@sha256:" + "0" * 64))]),
    # beanstalk-no-classic-load-balancer
    Case("beanstalk-no-classic-load-balancer", "type-unset", [eb((ENV_NS, "LoadBalancerType"), None)],
         "eb-env", "does not set aws:elasticbeanstalk:environment LoadBalancerType, so it gets a classic"),
    Case("beanstalk-no-classic-load-balancer", "classic", [eb((ENV_NS, "LoadBalancerType"), "classic")],
         "eb-env", "eb-env uses a classic load balancer"),
    Case("beanstalk-no-classic-load-balancer", "network", [eb((ENV_NS, "LoadBalancerType"), "network")]),
    Case("beanstalk-no-classic-load-balancer", "single-instance-outside-production",
         [non_production, eb((ENV_NS, "EnvironmentType"), "SingleInstance"), eb((ENV_NS, "LoadBalancerType"), None),
          eb((ASG_NS, "MinSize"), None)]),
    # production-min-two-tasks
    Case("production-min-two-tasks", "one-task", [put("service", "desiredCount", 1)],
         "service", "production ECS service service runs desiredCount 1"),
    Case("production-min-two-tasks", "scale-in-to-one", [put("scaling", "minCapacity", 1)],
         "scaling", "production autoscaling target scaling has minCapacity 1"),
    Case("production-min-two-tasks", "beanstalk-min-one", [eb((ASG_NS, "MinSize"), "1")],
         "eb-env", "aws:autoscaling:asg MinSize 1"),
    Case("production-min-two-tasks", "beanstalk-min-unset", [eb((ASG_NS, "MinSize"), None)],
         "eb-env", "MinSize unset (default 1)"),
    Case("production-min-two-tasks", "beanstalk-single-instance", [eb((ENV_NS, "EnvironmentType"), "SingleInstance")],
         "eb-env", "production Beanstalk environment eb-env is a single instance"),
    Case("production-min-two-tasks", "one-task-outside-production",
         [non_production, put("service", "desiredCount", 1), put("scaling", "minCapacity", 1),
          eb((ASG_NS, "MinSize"), "1")]),
    # production-multi-az
    Case("production-multi-az", "service-one-subnet", [put("service", "networkConfiguration.subnets", ["subnet-a"])],
         "service", "production ECS service service has 1 subnet(s)"),
    Case("production-multi-az", "alb-one-subnet", [put("alb", "subnets", ["subnet-a"])],
         "alb", "production load balancer alb has 1 subnet(s)"),
    Case("production-multi-az", "beanstalk-one-subnet", [eb((VPC_NS, "Subnets"), "subnet-a")],
         "eb-env", "sets aws:ec2:vpc Subnets to 'subnet-a'"),
    Case("production-multi-az", "beanstalk-one-az", [eb((ASG_NS, "Availability Zones"), "Any 1")],
         "eb-env", "pins its instances to one AZ"),
    Case("production-multi-az", "alb-subnet-mappings",
         [put("alb", "subnets", DELETE), put("alb", "subnetMappings", [{"subnetId": "subnet-a"},
                                                                        {"subnetId": "subnet-b"}])]),
    Case("production-multi-az", "one-subnet-outside-production",
         [non_production, put("service", "networkConfiguration.subnets", ["subnet-a"])]),
    # production-https
    Case("production-https", "http-not-redirected",
         [put("http", "defaultActions", [{"type": "forward", "targetGroupArn": TG_ARN}])],
         "http", "HTTP listener http (port 80) serves plain HTTP although a certificate is configured"),
    Case("production-https", "certificate-not-on-443", [put("https", "port", 8443)],
         None, "a listener has a certificate but no HTTPS listener serves port 443"),
    Case("production-https", "beanstalk-certificate-without-https-443",
         [eb((EB_443, "SSLCertificateArns"), CERT), eb((EB_443, "Protocol"), "HTTP")],
         "eb-env", "production Beanstalk environment eb-env has a certificate but no enabled HTTPS listener on 443"),
    Case("production-https", "beanstalk-https-443",
         [eb((EB_443, "SSLCertificateArns"), CERT), eb((EB_443, "Protocol"), "HTTPS"),
          eb((EB_443, "ListenerEnabled"), "true")]),
    Case("production-https", "no-certificate-plain-http",
         [remove("https"), put("http", "defaultActions", [{"type": "forward", "targetGroupArn": TG_ARN}])]),
    Case("production-https", "certificate-outside-production",
         [non_production, put("http", "defaultActions", [{"type": "forward", "targetGroupArn": TG_ARN}])]),
    # production-deletion-protection
    Case("production-deletion-protection", "off", [put("alb", "enableDeletionProtection", False)],
         "alb", "production load balancer alb has enableDeletionProtection off"),
    Case("production-deletion-protection", "unset", [put("alb", "enableDeletionProtection", DELETE)],
         "alb", "enableDeletionProtection off"),
    Case("production-deletion-protection", "off-outside-production",
         [non_production, put("alb", "enableDeletionProtection", False)]),
]


def stack_with(case: Case) -> list[dict]:
    stack = copy.deepcopy(good())
    for change in case.changes:
        change(stack)
    return stack


@pytest.mark.parametrize("case", CASES, ids=[f"{c.policy}:{c.id}" for c in CASES])
def test_policy_case(case: Case):
    violations = offline.check(stack_with(case))
    if case.fragment is None:
        assert violations == []
        return
    assert len(violations) == 1, violations
    (v,) = violations
    assert v["policy"] == case.policy
    assert v["resource"] == case.resource
    assert case.fragment in v["message"], v["message"]


def test_every_policy_has_a_failing_and_a_passing_case():
    failing = {c.policy for c in CASES if c.fragment}
    passing = {c.policy for c in CASES if c.fragment is None}
    names = [p.name for p in POLICIES]
    assert len(names) == len(set(names)) == 15
    assert failing == passing == set(names)


def test_good_stack_passes_and_violations_have_the_documented_shape():
    assert offline.check(good()) == []
    stack = good()
    put("alb", "enableDeletionProtection", False)(stack)
    put("https", "port", 8443)(stack)
    assert offline.check(stack) == [
        {"policy": "production-https", "resource": None, "type": None,
         "message": "a listener has a certificate but no HTTPS listener serves port 443; add an HTTPS :443 "
                    "listener with the certificate"},
        {"policy": "production-deletion-protection", "resource": "alb", "type": ALB,
         "message": "production load balancer alb has enableDeletionProtection off; turn it on so a stray "
                    "destroy or console click cannot remove the app's front door"},
    ]


def test_unreadable_container_definitions_fail_both_container_policies():
    stack = good()
    put("task", "containerDefinitions", "[secret]")(stack)
    found = {(v["policy"], v["resource"]) for v in offline.check(stack)}
    assert found == {("no-plain-secret-env", "task"), ("task-image-digest-pinned", "task")}


# ---------------------------------------------------------------------------------------------
# The offline runner hands inputs over the way the engine does

def test_offline_resources_look_like_the_engines():
    resources = offline._policy_resources(good(), "prod")
    service = next(r for r in resources if r.name == "service")
    assert service.urn == f"urn:pulumi:prod::berth::{SERVICE}::service"
    assert not isinstance(service.props, dict) and not isinstance(service.props["loadBalancers"], list)
    assert service.props["desiredCount"] == 2.0 and isinstance(service.props["desiredCount"], float)
    assert service.props["deploymentCircuitBreaker"]["enable"] is True  # booleans stay booleans
    # Inputs holding another resource's id become property dependencies, as outputs would.
    deps = {k: [d.name for d in v] for k, v in service.property_dependencies.items()}
    assert deps == {"networkConfiguration": ["task-sg"], "loadBalancers": ["tg"]}
    lifecycle = next(r for r in resources if r.name == "lifecycle")
    assert [d.name for d in lifecycle.property_dependencies["repository"]] == ["repo"]


def _pr(typ: str, name: str, props: dict, deps: dict[str, list[PolicyResource]] | None = None) -> PolicyResource:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return PolicyResource(typ, unknown_checking_proxy(props), f"urn:pulumi:prod::berth::{typ}::{name}", name,
                          opts, None, None, [], deps or {})


def test_preview_unknown_ids_are_matched_through_property_dependencies():
    # A first preview: security group ids are not known yet, only which resource each input came from.
    task_sg = _pr(SG, "task-sg", {})
    service = _pr(SERVICE, "service", {
        "networkConfiguration": {"subnets": [UNKNOWN_STRING_VALUE], "securityGroups": [UNKNOWN_STRING_VALUE]},
        "loadBalancers": [{"containerPort": 5000.0, "targetGroupArn": UNKNOWN_STRING_VALUE}]},
        {"networkConfiguration": [task_sg]})
    rule = _pr(INGRESS, "task-open", {"securityGroupId": UNKNOWN_STRING_VALUE, "ipProtocol": "tcp",
                                      "fromPort": 5000.0, "toPort": 5000.0, "cidrIpv4": "0.0.0.0/0"},
               {"securityGroupId": [task_sg]})
    reported: list[tuple[str, str | None]] = []
    BY_NAME["task-sg-no-public-app-port"].validate(StackValidationArgs([task_sg, service, rule]),
                                                   lambda m, urn=None: reported.append((m, urn)))
    assert len(reported) == 1
    assert reported[0][0].startswith("task-open opens app port 5000 of ECS service service to 0.0.0.0/0")
    assert reported[0][1] == rule.urn


def test_preview_unknowns_skip_one_check_then_mark_the_policy_not_evaluated():
    tags = {"environment": "production"}
    known = _pr(SERVICE, "one-task", {"desiredCount": 1.0, "tags": tags})
    unknown = _pr(SERVICE, "computed", {"desiredCount": UNKNOWN_STRING_VALUE, "tags": tags})
    reported: list[str] = []
    policy = BY_NAME["production-min-two-tasks"]
    assert isinstance(policy, StackValidationPolicy)
    with pytest.raises(UnknownValueError):
        policy.validate(StackValidationArgs([unknown, known]), lambda m, urn=None: reported.append(m))
    assert reported == ["production ECS service one-task runs desiredCount 1; run at least 2 tasks so one "
                        "failing task or AZ does not take the app down"]
    # A resource policy leaves the unknown to the engine, which reports "can't run during preview".
    task = _pr(TASK_DEF, "task", {"containerDefinitions": UNKNOWN_STRING_VALUE})
    args = ResourceValidationArgs(TASK_DEF, task.props, task.urn, "task", task.opts, None)
    with pytest.raises(UnknownValueError):
        BY_NAME["task-image-digest-pinned"].validate(args, lambda m, urn=None: None)


# ---------------------------------------------------------------------------------------------
# The committed stacks, planned by the real program

@pytest.fixture(scope="module")
def plans() -> dict[str, dict]:
    return {stack: build_plan(run_stack(stack)) for stack in committed_stacks()}


def test_every_committed_stack_passes(plans):
    assert {"dev", "staging", "prod"} <= set(plans)  # plus any stack added since
    for stack, plan in plans.items():
        assert offline.check(plan["resources"], stack=stack) == [], stack


def test_policies_engage_the_real_prod_plan(plans):
    # Passing is only meaningful if the policies see the program's resources: break three of them.
    resources = copy.deepcopy(plans["prod"]["resources"])
    by_type = {r["type"]: r for r in resources}
    by_type[ALB]["inputs"]["enableDeletionProtection"] = False
    by_type[TG]["inputs"]["deregistrationDelay"] = 300
    defs = json.loads(by_type[TASK_DEF]["inputs"]["containerDefinitions"])
    defs[0]["image"] = defs[0]["image"].split("@")[0] + ":prod"
    by_type[TASK_DEF]["inputs"]["containerDefinitions"] = json.dumps(defs)
    found = {(v["policy"], v["resource"]) for v in offline.check(resources, stack="prod")}
    assert found == {("production-deletion-protection", "catnip-web-alb"),
                     ("alb-deregistration-delay", "catnip-web-tg"),
                     ("task-image-digest-pinned", "catnip-web-task")}


def test_cli_reports_a_clean_stack_and_fails_on_violations(tmp_path, capsys):
    assert offline.main(["--stack", "dev"]) == 0
    assert "stack dev: no policy violations (15 policies, 19 resources)" in capsys.readouterr().out
    bad = tmp_path / "Pulumi.review.yaml"
    bad.write_text("config:\n  aws:region: us-east-1\n  berth:deregistrationDelay: 120\n")
    assert offline.main(["--config", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "stack review: 1 policy violation(s)" in out
    assert "[alb-deregistration-delay] catnip-web-tg (aws:lb/targetGroup:TargetGroup): target group " \
           "catnip-web-tg deregistrationDelay is 120 s" in out


# ---------------------------------------------------------------------------------------------
# The real pack: what `pulumi preview --policy-pack policy` runs

def test_main_builds_the_pack_from_the_shared_policy_list(monkeypatch):
    built: list[dict] = []

    class RecordingPolicyPack:  # the real one starts a gRPC server and never returns
        def __init__(self, **kwargs: Any) -> None:
            built.append(kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", RecordingPolicyPack)
    monkeypatch.delitem(sys.modules, "policies", raising=False)
    try:
        runpy.run_path(str(POLICY_DIR), run_name="__main__")  # as the CLI does: python policy/
    finally:
        sys.modules.pop("policies", None)
    assert len(built) == 1
    pack = built[0]
    assert pack["name"] == "berth-guardrails"
    assert pack["enforcement_level"] is EnforcementLevel.MANDATORY
    assert [(p.name, type(p), p.description) for p in pack["policies"]] == \
        [(p.name, type(p), p.description) for p in POLICIES]
    assert all(p.enforcement_level is EnforcementLevel.MANDATORY for p in pack["policies"])


def test_pack_project_files():
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    assert project["version"] and project["description"]
    pins = dict(line.split("==") for line in (POLICY_DIR / "requirements.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    # The offline runner must run the SDK the pack is served with.
    assert pins == {"pulumi-policy": version("pulumi-policy"), "pulumi": version("pulumi")}
    assert pins == {"pulumi-policy": "1.21.0", "pulumi": "3.272.0"}


def test_secret_pattern_matches_the_settings_validator():
    # The pack cannot import the program, so the pattern is copied; keep the two from drifting.
    assert (SECRET_LOOKING.pattern, SECRET_LOOKING.flags) == (settings.SECRET_LOOKING.pattern,
                                                              settings.SECRET_LOOKING.flags)
