"""Preflight: check what the program would send to AWS against AWS's own API models, offline.

Each planned resource is turned into the request payload(s) of the API call that will carry it
(an `aws:ecs/taskDefinition:TaskDefinition` becomes ECS `RegisterTaskDefinition`, its
`containerDefinitions` JSON string parsed into the `ContainerDefinition` list, an
`aws:lb/targetGroup:TargetGroup` becomes ELBv2 `CreateTargetGroup` with `healthCheck.interval` as
`HealthCheckIntervalSeconds`, ...). Every payload is validated against the botocore model of that
call (`components.awsmodel.check_payload`): member names (an unknown key is named with the nearest
valid member; the Terraform-based provider would drop it silently, hashicorp/terraform-provider-aws
#43217), types, enums, string and list lengths, numeric ranges and patterns.

Where the model is silent and AWS documents a rule (often in the model's own description of the
member: Fargate CPU/memory pairs, awsvpc host ports, load balancer names, S3 bucket names, ...),
a small hand-written rule below checks it and names its source.

    python -m tools.preflight --stack dev          # exit 2 when there is a problem
    python -m tools.preflight --all --json

API: `check(plan)` for the dict of `tools.plan.build_plan`; `check_resources(resources)` for any
list of `{"type", "name", "inputs"}` dicts (values that are not plain JSON, such as a Pulumi
`Output` at program time, and the plan's "[secret]" placeholders are skipped and counted).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import botocore

from components import awsmodel
from components.settings import EB_ENV_NAME, FARGATE_MEMORY, LOG_RETENTION_DAYS, fargate_memory_options

SECRET_TEXT = "[secret]"  # how tools.plan shows a secret value (tools.plan.SECRET_TEXT)
GENERATED = "x"  # stands for one character the provider generates (autonaming, name prefixes)
_PLAIN = (str, int, float, bool, list, tuple, dict, type(None))


def _skip(value: Any) -> bool:
    """A value that cannot be checked: a secret placeholder or a value not known yet (an Output)."""
    return (isinstance(value, str) and value == SECRET_TEXT) or not isinstance(value, _PLAIN)


def _show(value: Any, limit: int = 80) -> str:
    if isinstance(value, str):
        return json.dumps(value if len(value) <= limit else value[:limit - 1] + "…", ensure_ascii=False)
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Results

@dataclass(frozen=True)
class Problem:
    """One value the API would refuse (or silently drop): where it is, what it is, which rule."""

    resource: str
    type: str
    path: str
    value: Any
    message: str
    rule: str
    show_value: bool = True

    def __str__(self) -> str:
        shown = f" = {_show(self.value)}" if self.show_value else ""
        return f"{self.resource}: {self.path}{shown}: {self.message} ({self.rule})"

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.resource, "type": self.type, "path": self.path,
                "value": self.value if self.show_value else None, "message": self.message,
                "rule": self.rule, "text": str(self)}


@dataclass
class PreflightReport:
    stack: str | None
    problems: list[Problem] = field(default_factory=list)
    fields_checked: int = 0
    payloads: int = 0
    skipped: int = 0  # secret placeholders and unknown values, counted and not validated
    seconds: float = 0.0
    checked: list[dict[str, Any]] = field(default_factory=list)  # one entry per payload
    not_checked: dict[str, list[str]] = field(default_factory=dict)  # type -> resource names
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        where = f"stack {self.stack}: " if self.stack else ""
        verdict = "no problems" if self.ok else f"{len(self.problems)} problem(s)"
        return (f"preflight: {where}{self.payloads} payloads, {self.fields_checked} fields checked against "
                f"botocore {botocore.__version__}'s API models ({self.skipped} secret or unknown values "
                f"skipped) in {self.seconds:.3f} s: {verdict}")

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "botocore": botocore.__version__,
            "payloads": self.payloads,
            "fields_checked": self.fields_checked,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 4),
            "problems": [p.to_json() for p in self.problems],
            "checked": self.checked,
            "not_checked": self.not_checked,
            "notes": self.notes,
        }


# ---------------------------------------------------------------------------------------------
# Building API payloads from provider inputs

_SEGMENT = re.compile(r"([^.\[]+)((?:\[\d+\])*)")


def _get(inputs: Mapping[str, Any], path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class _Payload:
    """One API request: the payload in API member names, and where each member came from."""

    def __init__(self, resource: dict, service: str, operation: str) -> None:
        self.resource = resource
        self.inputs: Mapping[str, Any] = resource.get("inputs") or {}
        self.service = service
        self.operation = operation
        self.request: dict[str, Any] = {}
        self.paths: dict[str, str] = {}  # API path -> input path, where they differ
        self.strict: dict[str, Any] = {}  # opaque JSON members: checked exactly, nothing coerced

    # -- filling the request
    def set(self, api_path: str, value: Any, input_path: str | None = None) -> None:
        parts = [(m.group(1), [int(i) for i in re.findall(r"\d+", m.group(2))])
                 for m in _SEGMENT.finditer(api_path)]
        node: Any = self.request
        for n, (name, indexes) in enumerate(parts):
            last = n == len(parts) - 1
            if not indexes:
                if last:
                    node[name] = value
                else:
                    node = node.setdefault(name, {})
                continue
            seq = node.setdefault(name, [])
            for k, index in enumerate(indexes):
                while len(seq) <= index:
                    seq.append(None)
                if last and k == len(indexes) - 1:
                    seq[index] = value
                elif k == len(indexes) - 1:
                    seq[index] = seq[index] if isinstance(seq[index], dict) else {}
                    node = seq[index]
                else:
                    seq[index] = seq[index] if isinstance(seq[index], list) else []
                    seq = seq[index]
        if input_path is not None and input_path != api_path:
            self.paths[api_path] = input_path

    def take(self, input_path: str, api_path: str | None = None,
             convert: Callable[[Any], Any] | None = None) -> Any:
        """Copy an input into the request (renamed, converted); returns the value (None if unset)."""
        value = _get(self.inputs, input_path)
        if value is None:
            return None
        if convert is not None and not _skip(value):
            value = convert(value)
        self.set(api_path or input_path, value, input_path)
        return value

    def recase(self, input_path: str, api_path: str, renames: Mapping[str, str] | None = None) -> None:
        """Copy a nested input whose keys are the API's members in another case (camelCase of
        PascalCase), renaming keys by the model's members; provider-only keys are left out."""
        value = _get(self.inputs, input_path)
        if value is None:
            return
        shape = awsmodel.member_shape(self.service, self.operation, re.sub(r"\[\d+\]", "", api_path))
        self.set(api_path, self._recase(value, shape, input_path, api_path, renames or {}), input_path)

    def _recase(self, value: Any, shape: Any, in_path: str, api_path: str, renames: Mapping[str, str]) -> Any:
        if _skip(value):
            return value
        if shape.type_name == "list" and isinstance(value, list):
            return [self._recase(v, shape.member, f"{in_path}[{i}]", f"{api_path}[{i}]", renames)
                    for i, v in enumerate(value)]
        if shape.type_name == "structure" and isinstance(value, Mapping):
            folded = {m.lower(): m for m in shape.members}
            out = {}
            for key, item in value.items():
                member = renames.get(key) or folded.get(key.lower())
                if member not in shape.members:
                    continue
                sub_in, sub_api = f"{in_path}.{key}", f"{api_path}.{member}"
                if sub_in != sub_api:
                    self.paths[sub_api] = sub_in
                out[member] = self._recase(item, shape.members[member], sub_in, sub_api, renames)
            return out
        return value

    def tags(self, api_member: str, input_path: str = "tags") -> None:
        """Pulumi's tag map as the API takes it: a map, or a list of {Key, Value} structures."""
        tags = _get(self.inputs, input_path)
        if not isinstance(tags, Mapping) or not tags:
            return
        shape = awsmodel.member_shape(self.service, self.operation, api_member)
        if shape.type_name == "map":
            self.set(api_member, dict(tags), input_path)
            return
        item = shape.member
        key_m = next(m for m in item.members if m.lower() == "key")
        value_m = next(m for m in item.members if m.lower() == "value")
        for i, (k, v) in enumerate(tags.items()):
            self.set(f"{api_member}[{i}]", {key_m: k, value_m: v})
            self.paths[f"{api_member}[{i}].{key_m}"] = awsmodel.key_path(input_path, str(k)) + " (key)"
            self.paths[f"{api_member}[{i}].{value_m}"] = awsmodel.key_path(input_path, str(k))
            self.paths[f"{api_member}[{i}]"] = awsmodel.key_path(input_path, str(k))
        self.paths[api_member] = input_path

    def name(self, api_member: str, key: str = "name", prefix_key: str = "namePrefix", lower: bool = False) -> Any:
        """The physical name: the input, or the name the provider will generate when it is unset.

        Pulumi autonames a resource as its logical name + "-" + 7 random hex characters (lowercased
        for S3 buckets); a name prefix gets 26 generated characters (the Terraform provider's
        unique-id suffix). Generated characters are shown as "x": they are letters or digits, and
        every rule checked here treats them alike.
        """
        value = self.inputs.get(key)
        if value is not None:
            self.set(api_member, value, key)
            return value
        prefix = self.inputs.get(prefix_key)
        if prefix is not None:
            value = prefix + GENERATED * 26 if _text(prefix) else prefix
            self.set(api_member, value, f"{prefix_key} (+26 generated characters)")
            return value
        logical = str(self.resource.get("name", ""))
        value = f"{logical.lower() if lower else logical}-{GENERATED * 7}"
        self.set(api_member, value, f"{key} (autonamed)")
        return value

    def input_path(self, api_path: str) -> str:
        best = None
        for k in self.paths:
            if (api_path == k or api_path.startswith((k + ".", k + "[", k + " "))) and \
                    (best is None or len(k) > len(best)):
                best = k
        return self.paths[best] + api_path[len(best):] if best is not None else api_path


class _Context:
    def __init__(self, resources: list[dict]) -> None:
        self.resources = resources
        self.by_id = {r.get("id"): r for r in resources if r.get("id")}
        self.payloads: list[_Payload] = []
        self.problems: list[Problem] = []
        self._containers: dict[int, list | None] = {}

    def payload(self, r: dict, service: str, operation: str) -> _Payload:
        p = _Payload(r, service, operation)
        self.payloads.append(p)
        return p

    def problem(self, r: dict, path: str, value: Any, message: str, rule: str, show_value: bool = True) -> None:
        self.problems.append(Problem(str(r.get("name")), str(r.get("type")), path, value, message, rule,
                                     show_value))

    def containers(self, r: dict) -> list | None:
        """A task definition's parsed container definitions (None when not readable)."""
        if id(r) not in self._containers:
            raw = (r.get("inputs") or {}).get("containerDefinitions")
            parsed = None
            if isinstance(raw, str) and raw != SECRET_TEXT:
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = None
            elif isinstance(raw, list):
                parsed = raw
            self._containers[id(r)] = parsed if isinstance(parsed, list) else None
        return self._containers[id(r)]


Adapter = Callable[[_Context, dict], None]
ADAPTERS: dict[str, Adapter] = {}


def _adapter(*types: str) -> Callable[[Adapter], Adapter]:
    def register(fn: Adapter) -> Adapter:
        for t in types:
            ADAPTERS[t] = fn
        return fn
    return register


def _doc(service: str, operation: str, member: str) -> str:
    """Rule text for a constraint AWS states in the model's documentation but does not encode.

    Named like the model's own rules: "elbv2 CreateTargetGroup.Name" for a request member,
    "ecs RegisterTaskDefinition PortMapping.hostPort" for a member of a nested structure.
    """
    where = f"{service} {operation} {member}" if "." in member else f"{service} {operation}.{member}"
    return f"{where}, as documented in the API reference"


def _text(value: Any) -> bool:
    """A string a hand-written rule can read (not a secret placeholder)."""
    return isinstance(value, str) and value != SECRET_TEXT


def _chars(value: Any, allowed: str, what: str) -> list[str]:
    if _text(value) and not re.fullmatch(f"[{allowed}]*", value):
        return [f"may contain only {what}"]
    return []


# ---------------------------------------------------------------------------------------------
# Hand-written rules: AWS documents them, the model does not encode them. Each names its source.

# "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed":
# the ECS API reference (and the model's description) for a task family, container, cluster and
# service name.
def _ecs_name(value: Any) -> list[str]:
    if not _text(value):
        return []
    found = _chars(value, "A-Za-z0-9_-", "letters, digits, _ and -")
    if len(value) > 255:
        found.append("longer than 255 characters")
    if not value:
        found.append("empty")
    return found


# Load balancer and target group names: "can have a maximum of 32 characters, must contain only
# alphanumeric characters or hyphens, and must not begin or end with a hyphen" (+ "must not begin
# with internal-" for load balancers): ELBv2 CreateLoadBalancer / CreateTargetGroup API reference,
# repeated in the model's descriptions of their Name members.
def _elb_name(value: Any, load_balancer: bool) -> list[str]:
    if not _text(value):
        return []
    found = []
    if len(value) > 32:
        found.append("longer than 32 characters")
    if not value:
        found.append("empty")
    found += _chars(value, "A-Za-z0-9-", "letters, digits and hyphens")
    if value.startswith("-") or value.endswith("-"):
        found.append("must not begin or end with a hyphen")
    if load_balancer and value.startswith("internal-"):
        found.append('must not begin with "internal-"')
    return found


# S3 general purpose bucket naming rules (Amazon S3 user guide, "General purpose bucket naming
# rules", bucketnamingrules.html). The model's CreateBucket.Bucket has no constraint of its own.
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")
S3_BUCKET_RULE = "S3 general purpose bucket naming rules, Amazon S3 user guide"


def _bucket_name(value: Any) -> list[str]:
    if not _text(value):
        return []
    found = []
    if len(value) < 3:
        found.append("shorter than 3 characters")
    if len(value) > 63:
        found.append("longer than 63 characters")
    found += _chars(value, "a-z0-9.-", "lowercase letters, digits, dots and hyphens")
    if not re.fullmatch(r"[a-z0-9](?:.*[a-z0-9])?", value):
        found.append("must begin and end with a lowercase letter or a digit")
    if ".." in value:
        found.append("must not contain two adjacent dots")
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
        found.append("must not be formatted as an IP address")
    found += [f'must not begin with "{p}"' for p in S3_RESERVED_PREFIXES if value.startswith(p)]
    found += [f'must not end with "{s}"' for s in S3_RESERVED_SUFFIXES if value.endswith(s)]
    return found


# Security group names and descriptions: "Up to 255 characters in length. Valid characters: a-z,
# A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*" and a name "can't start with sg-": EC2
# CreateSecurityGroup API reference (the model's descriptions); the same set for the description of
# a rule on an address range (EC2 IpRange / Ipv6Range Description), without "&" on a rule that
# references another group (UserIdGroupPair Description).
SG_CHARS = r"A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*"


def _sg_text(value: Any, allowed: str = SG_CHARS) -> list[str]:
    if not _text(value):
        return []
    shown = re.sub(r"\\(.)", r"\1", allowed.removeprefix("A-Za-z0-9 "))
    found = _chars(value, allowed, f"letters, digits, spaces and {shown}")
    if len(value) > 255:
        found.append("longer than 255 characters")
    return found


def _parse_units(value: Any, unit: str) -> int | None:
    """Task-level cpu/memory: "1024", or "1 vCPU" / "2 GB" (ECS RegisterTaskDefinition cpu/memory)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text.isdigit():
        return int(text)
    m = re.fullmatch(rf"(\d+(?:\.\d+)?)\s*{unit}", text)
    return int(float(m.group(1)) * 1024) if m else None


# Container health checks: interval 5-300 s, timeout 2-60 s, retries 1-10, startPeriod 0-300 s,
# stated in the ECS API reference for HealthCheck (and the model's descriptions), not encoded.
CONTAINER_HEALTH_RANGES = {"interval": (5, 300), "timeout": (2, 60), "retries": (1, 10), "startPeriod": (0, 300)}
# Fargate: "the max stop timeout value is 120 seconds" (ECS ContainerDefinition.stopTimeout).
FARGATE_MAX_STOP_TIMEOUT = 120


def _task_definition_rules(ctx: _Context, r: dict, containers: list | None) -> None:
    i = r.get("inputs") or {}
    compat = i.get("requiresCompatibilities")
    fargate = isinstance(compat, list) and "FARGATE" in compat
    mode = i.get("networkMode")
    family = i.get("family")
    for message in _ecs_name(family):
        ctx.problem(r, "family", family, message, _doc("ecs", "RegisterTaskDefinition", "family"))
    if fargate:
        # Fargate task sizes: "Task CPU and memory", Amazon ECS developer guide (the table that
        # components.settings.FARGATE_MEMORY holds; one copy, used by settings and here).
        cpu_raw, mem_raw = i.get("cpu"), i.get("memory")
        cpu, memory = _parse_units(cpu_raw, "vcpu"), _parse_units(mem_raw, "gb")
        rule = "Fargate task CPU and memory, Amazon ECS developer guide"
        if cpu_raw is None or mem_raw is None:
            missing = "cpu" if cpu_raw is None else "memory"
            ctx.problem(r, missing, None, "required for Fargate: task-level cpu and memory", rule, show_value=False)
        elif not _skip(cpu_raw) and cpu not in FARGATE_MEMORY:
            ctx.problem(r, "cpu", cpu_raw, "Fargate accepts " + ", ".join(map(str, FARGATE_MEMORY)) + " CPU units",
                        rule)
        elif not _skip(mem_raw) and cpu is not None and memory not in fargate_memory_options(cpu):
            options = fargate_memory_options(cpu)
            steps = {b - a for a, b in pairwise(options)}
            allowed = (f"{options[0]}-{options[-1]} MiB in steps of {steps.pop()}" if len(steps) == 1
                       else ", ".join(map(str, options)) + " MiB")
            ctx.problem(r, "memory", mem_raw, f"with cpu {cpu} Fargate accepts {allowed}", rule)
        # "For Amazon ECS tasks on Fargate, the awsvpc network mode is required" (networkMode).
        if isinstance(mode, str | type(None)) and mode != "awsvpc":
            ctx.problem(r, "networkMode", mode, "Fargate requires awsvpc",
                        _doc("ecs", "RegisterTaskDefinition", "networkMode"))
    if not containers:
        return
    essentials = 0
    for n, c in enumerate(containers):
        if not isinstance(c, Mapping):
            continue
        base = f"containerDefinitions[{n}]"
        if c.get("essential", True) is not False:
            essentials += 1
        for message in _ecs_name(c.get("name")):
            ctx.problem(r, f"{base}.name", c.get("name"), message, _doc("ecs", "RegisterTaskDefinition",
                                                                         "ContainerDefinition.name"))
        # awsvpc (and host): "the hostPort can either be left blank or set to the same value as
        # the containerPort" (ECS PortMapping.hostPort).
        mappings = c.get("portMappings")
        if mode in ("awsvpc", "host") and isinstance(mappings, list):
            for k, pm in enumerate(mappings):
                if not isinstance(pm, Mapping):
                    continue
                host, port = pm.get("hostPort"), pm.get("containerPort")
                if isinstance(host, int) and isinstance(port, int) and host != port:
                    ctx.problem(r, f"{base}.portMappings[{k}].hostPort", host,
                                f"must equal containerPort ({port}) with the {mode} network mode, or be left out",
                                _doc("ecs", "RegisterTaskDefinition", "PortMapping.hostPort"))
        health = c.get("healthCheck")
        if isinstance(health, Mapping):
            for key, (low, high) in CONTAINER_HEALTH_RANGES.items():
                value = health.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and not low <= value <= high:
                    ctx.problem(r, f"{base}.healthCheck.{key}", value, f"must be from {low} to {high}",
                                _doc("ecs", "RegisterTaskDefinition", f"HealthCheck.{key}"))
        stop = c.get("stopTimeout")
        if fargate and isinstance(stop, int) and not isinstance(stop, bool) and stop > FARGATE_MAX_STOP_TIMEOUT:
            ctx.problem(r, f"{base}.stopTimeout", stop, f"at most {FARGATE_MAX_STOP_TIMEOUT} s on Fargate",
                        _doc("ecs", "RegisterTaskDefinition", "ContainerDefinition.stopTimeout"))
    if essentials == 0:
        ctx.problem(r, "containerDefinitions", None, "no essential container; a task needs at least one",
                    _doc("ecs", "RegisterTaskDefinition", "ContainerDefinition.essential"), show_value=False)


# ---------------------------------------------------------------------------------------------
# Adapters: resource type -> the API payload(s) that carry it, plus the hand-written rules.

@_adapter("aws:ecs/taskDefinition:TaskDefinition")
def _task_definition(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "ecs", "RegisterTaskDefinition")
    raw = p.inputs.get("containerDefinitions")
    if isinstance(raw, str) and raw != SECRET_TEXT:
        try:
            p.strict["containerDefinitions"] = json.loads(raw)
        except ValueError as exc:
            ctx.problem(r, "containerDefinitions", raw, f"not valid JSON: {exc}",
                        "ecs RegisterTaskDefinition.containerDefinitions")
    elif raw is not None:
        p.strict["containerDefinitions"] = raw  # a secret or unknown value: counted as skipped
    for key in ("family", "networkMode", "requiresCompatibilities", "cpu", "memory", "executionRoleArn",
                "taskRoleArn", "pidMode", "ipcMode", "runtimePlatform", "enableFaultInjection"):
        p.take(key)
    p.recase("ephemeralStorage", "ephemeralStorage")
    p.tags("tags")
    _task_definition_rules(ctx, r, ctx.containers(r))


@_adapter("aws:ecr/repository:Repository")
def _ecr_repository(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "ecr", "CreateRepository")
    p.name("repositoryName")
    for key in ("imageTagMutability", "imageScanningConfiguration"):
        p.take(key)
    p.recase("imageTagMutabilityExclusionFilters", "imageTagMutabilityExclusionFilters")
    configs = p.inputs.get("encryptionConfigurations")
    if isinstance(configs, list) and configs:
        p.set("encryptionConfiguration", configs[0], "encryptionConfigurations[0]")
    p.tags("tags")


@_adapter("aws:ecr/lifecyclePolicy:LifecyclePolicy")
def _ecr_lifecycle(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "ecr", "PutLifecyclePolicy")
    p.take("repository", "repositoryName")
    p.take("policy", "lifecyclePolicyText", lambda v: v if isinstance(v, str) else json.dumps(v))


@_adapter("aws:cloudwatch/logGroup:LogGroup")
def _log_group(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "logs", "CreateLogGroup")
    p.name("logGroupName")
    for key in ("kmsKeyId", "logGroupClass", "deletionProtectionEnabled"):
        p.take(key)
    p.tags("tags")
    days = p.inputs.get("retentionInDays")
    if days is not None:
        q = ctx.payload(r, "logs", "PutRetentionPolicy")
        q.set("logGroupName", p.request.get("logGroupName"), p.input_path("logGroupName"))
        q.take("retentionInDays")
        # PutRetentionPolicy.retentionInDays: the model's description lists the accepted values;
        # components.settings.LOG_RETENTION_DAYS holds that list (one copy).
        if isinstance(days, int) and not isinstance(days, bool) and days not in LOG_RETENTION_DAYS:
            ctx.problem(r, "retentionInDays", days, "CloudWatch Logs accepts only "
                        + ", ".join(map(str, LOG_RETENTION_DAYS)),
                        _doc("logs", "PutRetentionPolicy", "retentionInDays"))


@_adapter("aws:iam/role:Role")
def _iam_role(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "iam", "CreateRole")
    p.name("RoleName")
    p.take("path", "Path")
    p.take("description", "Description")
    p.take("assumeRolePolicy", "AssumeRolePolicyDocument", lambda v: v if isinstance(v, str) else json.dumps(v))
    p.take("maxSessionDuration", "MaxSessionDuration")
    p.take("permissionsBoundary", "PermissionsBoundary")
    p.tags("Tags")


@_adapter("aws:iam/rolePolicy:RolePolicy")
def _iam_role_policy(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "iam", "PutRolePolicy")
    p.name("PolicyName")
    p.take("role", "RoleName")
    p.take("policy", "PolicyDocument", lambda v: v if isinstance(v, str) else json.dumps(v))


@_adapter("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def _iam_attachment(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "iam", "AttachRolePolicy")
    p.take("role", "RoleName")
    p.take("policyArn", "PolicyArn")


@_adapter("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive")
def _iam_attachments(ctx: _Context, r: dict) -> None:
    arns = (r.get("inputs") or {}).get("policyArns")
    for n, arn in enumerate(arns if isinstance(arns, list) else []):
        p = ctx.payload(r, "iam", "AttachRolePolicy")  # one call per policy
        p.take("roleName", "RoleName")
        p.set("PolicyArn", arn, f"policyArns[{n}]")


@_adapter("aws:iam/instanceProfile:InstanceProfile")
def _iam_instance_profile(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "iam", "CreateInstanceProfile")
    name = p.name("InstanceProfileName")
    p.take("path", "Path")
    p.tags("Tags")
    if p.inputs.get("role") is not None:
        q = ctx.payload(r, "iam", "AddRoleToInstanceProfile")
        q.set("InstanceProfileName", name, p.input_path("InstanceProfileName"))
        q.take("role", "RoleName")


@_adapter("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
def _target_group(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "elbv2", "CreateTargetGroup")
    name = p.name("Name")
    for message in _elb_name(name, load_balancer=False):
        ctx.problem(r, p.input_path("Name"), name, message, _doc("elbv2", "CreateTargetGroup", "Name"))
    for key, member in (("port", "Port"), ("protocol", "Protocol"), ("protocolVersion", "ProtocolVersion"),
                        ("vpcId", "VpcId"), ("targetType", "TargetType"), ("ipAddressType", "IpAddressType")):
        p.take(key, member)
    for key, member in (("enabled", "HealthCheckEnabled"), ("interval", "HealthCheckIntervalSeconds"),
                        ("timeout", "HealthCheckTimeoutSeconds"), ("healthyThreshold", "HealthyThresholdCount"),
                        ("unhealthyThreshold", "UnhealthyThresholdCount"), ("path", "HealthCheckPath"),
                        ("port", "HealthCheckPort"), ("protocol", "HealthCheckProtocol")):
        p.take(f"healthCheck.{key}", member)
    grpc = p.inputs.get("protocolVersion") == "GRPC"
    p.take("healthCheck.matcher", "Matcher.GrpcCode" if grpc else "Matcher.HttpCode")
    p.tags("Tags")
    hc = p.inputs.get("healthCheck") or {}
    interval, timeout = hc.get("interval"), hc.get("timeout")
    # ELB answers ValidationError "Health check interval must be greater than the timeout" (the
    # model does not encode it; aws-cdk validates it too, aws/aws-cdk#29075).
    if isinstance(interval, int) and isinstance(timeout, int) and not timeout < interval:
        ctx.problem(r, "healthCheck.timeout", timeout, f"must be below healthCheck.interval ({interval})",
                    "elbv2 CreateTargetGroup: HealthCheckIntervalSeconds must be greater than "
                    "HealthCheckTimeoutSeconds (ELB ValidationError)")
    # Target group attribute deregistration_delay.timeout_seconds: 0-3600 seconds (ELB user guide,
    # "Target group attributes"); the API carries it as a string attribute the model cannot range-check.
    drain = p.inputs.get("deregistrationDelay")
    if isinstance(drain, str) and drain.isdigit():
        drain = int(drain)
    if isinstance(drain, int) and not isinstance(drain, bool) and not 0 <= drain <= 3600:
        ctx.problem(r, "deregistrationDelay", drain, "must be from 0 to 3600 seconds",
                    "elbv2 target group attribute deregistration_delay.timeout_seconds, ELB user guide")


@_adapter("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
def _load_balancer(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "elbv2", "CreateLoadBalancer")
    name = p.name("Name")
    for message in _elb_name(name, load_balancer=True):
        ctx.problem(r, p.input_path("Name"), name, message, _doc("elbv2", "CreateLoadBalancer", "Name"))
    for key, member in (("loadBalancerType", "Type"), ("ipAddressType", "IpAddressType"), ("subnets", "Subnets"),
                        ("securityGroups", "SecurityGroups"), ("customerOwnedIpv4Pool", "CustomerOwnedIpv4Pool")):
        p.take(key, member)
    p.take("internal", "Scheme", lambda v: ("internal" if v else "internet-facing") if isinstance(v, bool) else v)
    p.tags("Tags")
    subnets, kind = p.inputs.get("subnets"), p.inputs.get("loadBalancerType", "application")
    # "[Application Load Balancers] You must specify subnets from at least two Availability Zones."
    if kind == "application" and isinstance(subnets, list) and len(subnets) < 2 and \
            not p.inputs.get("subnetMappings"):
        ctx.problem(r, "subnets", subnets, "an Application Load Balancer needs subnets in at least two "
                    "Availability Zones", _doc("elbv2", "CreateLoadBalancer", "Subnets"))


@_adapter("aws:lb/listener:Listener", "aws:alb/listener:Listener")
def _listener(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "elbv2", "CreateListener")
    for key, member in (("loadBalancerArn", "LoadBalancerArn"), ("port", "Port"), ("protocol", "Protocol"),
                        ("sslPolicy", "SslPolicy")):
        p.take(key, member)
    p.take("certificateArn", "Certificates[0].CertificateArn")
    p.take("alpnPolicy", "AlpnPolicy", lambda v: [v] if isinstance(v, str) else v)
    p.recase("defaultActions", "DefaultActions", {
        "redirect": "RedirectConfig", "fixedResponse": "FixedResponseConfig", "forward": "ForwardConfig",
        "authenticateCognito": "AuthenticateCognitoConfig", "authenticateOidc": "AuthenticateOidcConfig",
    })
    p.tags("Tags")
    # "[HTTPS and TLS listeners] ... You must provide exactly one certificate" (Certificates).
    if p.inputs.get("protocol") in ("HTTPS", "TLS") and p.inputs.get("certificateArn") is None:
        ctx.problem(r, "certificateArn", None, f"required for a {p.inputs['protocol']} listener",
                    _doc("elbv2", "CreateListener", "Certificates"), show_value=False)


@_adapter("aws:ecs/cluster:Cluster")
def _cluster(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "ecs", "CreateCluster")
    name = p.name("clusterName")
    for message in _ecs_name(name):
        ctx.problem(r, p.input_path("clusterName"), name, message, _doc("ecs", "CreateCluster", "clusterName"))
    p.take("settings")
    p.tags("tags")


@_adapter("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
def _capacity_providers(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "ecs", "PutClusterCapacityProviders")
    p.take("clusterName", "cluster")
    p.take("capacityProviders")
    p.recase("defaultCapacityProviderStrategies", "defaultCapacityProviderStrategy")


@_adapter("aws:ecs/service:Service")
def _service(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "ecs", "CreateService")
    name = p.name("serviceName")
    for message in _ecs_name(name):
        ctx.problem(r, p.input_path("serviceName"), name, message, _doc("ecs", "CreateService", "serviceName"))
    for key in ("cluster", "taskDefinition", "desiredCount", "launchType", "platformVersion", "propagateTags",
                "availabilityZoneRebalancing", "enableExecuteCommand", "healthCheckGracePeriodSeconds",
                "schedulingStrategy"):
        p.take(key)
    p.take("enableEcsManagedTags", "enableECSManagedTags")
    p.recase("loadBalancers", "loadBalancers", {"elbName": "loadBalancerName"})
    p.recase("capacityProviderStrategies", "capacityProviderStrategy")
    p.recase("deploymentConfiguration", "deploymentConfiguration")
    p.take("deploymentMinimumHealthyPercent", "deploymentConfiguration.minimumHealthyPercent")
    p.take("deploymentMaximumPercent", "deploymentConfiguration.maximumPercent")
    p.recase("deploymentCircuitBreaker", "deploymentConfiguration.deploymentCircuitBreaker")
    p.take("networkConfiguration.subnets", "networkConfiguration.awsvpcConfiguration.subnets")
    p.take("networkConfiguration.securityGroups", "networkConfiguration.awsvpcConfiguration.securityGroups")
    p.take("networkConfiguration.assignPublicIp", "networkConfiguration.awsvpcConfiguration.assignPublicIp",
           lambda v: ("ENABLED" if v else "DISABLED") if isinstance(v, bool) else v)
    p.tags("tags")
    i = p.inputs
    # "If a launchType is specified, the capacityProviderStrategy parameter must be omitted."
    if i.get("launchType") is not None and i.get("capacityProviderStrategies"):
        ctx.problem(r, "launchType", i["launchType"], "must be left out when capacityProviderStrategies is set",
                    _doc("ecs", "CreateService", "launchType"))
    # loadBalancers[].containerPort "must correspond to a containerPort in the task definition".
    task = ctx.by_id.get(i.get("taskDefinition"))
    containers = ctx.containers(task) if task else None
    lbs = i.get("loadBalancers")
    if containers is None or not isinstance(lbs, list):
        return
    by_name = {c.get("name"): c for c in containers if isinstance(c, Mapping)}
    for n, lb in enumerate(lbs):
        if not isinstance(lb, Mapping) or _skip(lb.get("containerName")):
            continue
        container = by_name.get(lb.get("containerName"))
        rule = _doc("ecs", "CreateService", "LoadBalancer.containerPort")
        if container is None:
            ctx.problem(r, f"loadBalancers[{n}].containerName", lb.get("containerName"),
                        f"no such container in task definition {task.get('name')} "
                        f"(containers: {', '.join(map(str, by_name)) or 'none'})", rule)
            continue
        ports = [pm.get("containerPort") for pm in container.get("portMappings") or [] if isinstance(pm, Mapping)]
        if lb.get("containerPort") not in ports:
            ctx.problem(r, f"loadBalancers[{n}].containerPort", lb.get("containerPort"),
                        f"container {lb.get('containerName')} of task definition {task.get('name')} maps "
                        f"{', '.join(map(str, ports)) or 'no ports'}", rule)


@_adapter("aws:appautoscaling/target:Target")
def _scalable_target(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "application-autoscaling", "RegisterScalableTarget")
    for key, member in (("serviceNamespace", "ServiceNamespace"), ("resourceId", "ResourceId"),
                        ("scalableDimension", "ScalableDimension"), ("minCapacity", "MinCapacity"),
                        ("maxCapacity", "MaxCapacity"), ("roleArn", "RoleARN")):
        p.take(key, member)
    p.tags("Tags")


@_adapter("aws:appautoscaling/policy:Policy")
def _scaling_policy(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "application-autoscaling", "PutScalingPolicy")
    p.name("PolicyName")
    for key, member in (("serviceNamespace", "ServiceNamespace"), ("resourceId", "ResourceId"),
                        ("scalableDimension", "ScalableDimension"), ("policyType", "PolicyType")):
        p.take(key, member)
    p.recase("targetTrackingScalingPolicyConfiguration", "TargetTrackingScalingPolicyConfiguration")


@_adapter("aws:secretsmanager/secret:Secret")
def _secret(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "secretsmanager", "CreateSecret")
    name = p.name("Name")
    # "The secret name can contain ASCII letters, numbers, and the following characters: /_+=.@-"
    for message in _chars(name, "A-Za-z0-9/_+=.@-", "ASCII letters, digits and /_+=.@-"):
        ctx.problem(r, p.input_path("Name"), name, message, _doc("secretsmanager", "CreateSecret", "Name"))
    for key, member in (("description", "Description"), ("kmsKeyId", "KmsKeyId")):
        p.take(key, member)
    p.tags("Tags")


@_adapter("aws:secretsmanager/secretVersion:SecretVersion")
def _secret_version(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "secretsmanager", "PutSecretValue")
    p.take("secretId", "SecretId")
    p.take("secretString", "SecretString")  # "[secret]" in a plan: counted as skipped, never read


@_adapter("aws:ec2/securityGroup:SecurityGroup")
def _security_group(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "ec2", "CreateSecurityGroup")
    name = p.name("GroupName")
    rule = _doc("ec2", "CreateSecurityGroup", "GroupName")
    for message in _sg_text(name):
        ctx.problem(r, p.input_path("GroupName"), name, message, rule)
    if _text(name) and name.lower().startswith("sg-"):
        ctx.problem(r, p.input_path("GroupName"), name, 'must not begin with "sg-"', rule)
    description = p.take("description", "Description")
    for message in _sg_text(description):
        ctx.problem(r, "description", description, message, _doc("ec2", "CreateSecurityGroup", "Description"))
    p.take("vpcId", "VpcId")


@_adapter("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
          "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
def _security_group_rule(ctx: _Context, r: dict) -> None:
    op = "AuthorizeSecurityGroupIngress" if "Ingress" in str(r.get("type")) else "AuthorizeSecurityGroupEgress"
    p = ctx.payload(r, "ec2", op)
    p.take("securityGroupId", "GroupId")
    for key, member in (("ipProtocol", "IpProtocol"), ("fromPort", "FromPort"), ("toPort", "ToPort")):
        p.take(key, f"IpPermissions[0].{member}")
    # The peer decides where the rule's description travels (and which characters it may hold).
    where = None
    for key, peer, member in (("cidrIpv4", "IpRanges", "CidrIp"), ("cidrIpv6", "Ipv6Ranges", "CidrIpv6"),
                              ("referencedSecurityGroupId", "UserIdGroupPairs", "GroupId"),
                              ("prefixListId", "PrefixListIds", "PrefixListId")):
        if p.take(key, f"IpPermissions[0].{peer}[0].{member}") is not None and where is None:
            where = peer
    description = p.take("description", f"IpPermissions[0].{where}[0].Description") if where else None
    allowed = SG_CHARS.replace("&", "") if where == "UserIdGroupPairs" else SG_CHARS
    shape = {"IpRanges": "IpRange", "Ipv6Ranges": "Ipv6Range", "UserIdGroupPairs": "UserIdGroupPair",
             "PrefixListIds": "PrefixListId"}.get(where or "", "IpRange")
    for message in _sg_text(description, allowed):
        ctx.problem(r, "description", description, message, _doc("ec2", op, f"{shape}.Description"))


@_adapter("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def _bucket(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "s3", "CreateBucket")
    name = p.name("Bucket", key="bucket", prefix_key="bucketPrefix", lower=True)
    for message in _bucket_name(name):
        ctx.problem(r, p.input_path("Bucket"), name, message, S3_BUCKET_RULE)
    p.take("acl", "ACL")
    p.take("objectLockEnabled", "ObjectLockEnabledForBucket")


@_adapter("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
def _public_access_block(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "s3", "PutPublicAccessBlock")
    p.take("bucket", "Bucket")
    for key in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"):
        p.take(key, "PublicAccessBlockConfiguration." + key[0].upper() + key[1:])


@_adapter("aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject")
def _bucket_object(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "s3", "PutObject")
    p.take("bucket", "Bucket")
    key = p.take("key", "Key")
    for name, member in (("acl", "ACL"), ("cacheControl", "CacheControl"), ("contentType", "ContentType"),
                         ("contentEncoding", "ContentEncoding"), ("contentLanguage", "ContentLanguage"),
                         ("contentDisposition", "ContentDisposition"), ("serverSideEncryption", "ServerSideEncryption"),
                         ("storageClass", "StorageClass"), ("kmsKeyId", "SSEKMSKeyId"),
                         ("bucketKeyEnabled", "BucketKeyEnabled"), ("checksumAlgorithm", "ChecksumAlgorithm"),
                         ("objectLockMode", "ObjectLockMode"),
                         ("objectLockLegalHoldStatus", "ObjectLockLegalHoldStatus")):
        p.take(name, member)
    # "The name for a key is a sequence of Unicode characters whose UTF-8 encoding is at most 1,024
    # bytes long" (Amazon S3 user guide, "Naming Amazon S3 objects").
    if _text(key) and len(key.encode()) > 1024:
        ctx.problem(r, "key", key, "longer than 1024 bytes of UTF-8", "S3 object key names, Amazon S3 user guide")


@_adapter("aws:elasticbeanstalk/application:Application")
def _eb_application(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "elasticbeanstalk", "CreateApplication")
    p.name("ApplicationName")
    p.take("description", "Description")
    life = "ResourceLifecycleConfig"
    rule = f"{life}.VersionLifecycleConfig"
    p.take("appversionLifecycle.serviceRole", f"{life}.ServiceRole")
    lifecycle = p.inputs.get("appversionLifecycle")
    if isinstance(lifecycle, Mapping):
        # The provider sends a max-count rule when maxCount is set, else a max-age rule.
        which = "MaxCountRule" if lifecycle.get("maxCount") is not None else "MaxAgeRule"
        if lifecycle.get("maxCount") is not None or lifecycle.get("maxAgeInDays") is not None:
            p.set(f"{rule}.{which}.Enabled", True)
            p.take("appversionLifecycle.maxCount", f"{rule}.MaxCountRule.MaxCount")
            p.take("appversionLifecycle.maxAgeInDays", f"{rule}.MaxAgeRule.MaxAgeInDays")
            p.take("appversionLifecycle.deleteSourceFromS3", f"{rule}.{which}.DeleteSourceFromS3")
    p.tags("Tags")


@_adapter("aws:elasticbeanstalk/applicationVersion:ApplicationVersion")
def _eb_version(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "elasticbeanstalk", "CreateApplicationVersion")
    p.name("VersionLabel")
    p.take("application", "ApplicationName")
    p.take("description", "Description")
    p.take("bucket", "SourceBundle.S3Bucket")
    p.take("key", "SourceBundle.S3Key")
    p.take("process", "Process")
    p.tags("Tags")


@_adapter("aws:elasticbeanstalk/environment:Environment")
def _eb_environment(ctx: _Context, r: dict) -> None:
    p = ctx.payload(r, "elasticbeanstalk", "CreateEnvironment")
    name = p.name("EnvironmentName")
    # "The name can contain only letters, numbers, and hyphens. It can't start or end with a hyphen."
    # (the model's description; components.settings.EB_ENV_NAME is that rule, one copy)
    if _text(name) and name and not EB_ENV_NAME.fullmatch(name):
        ctx.problem(r, p.input_path("EnvironmentName"), name, "may contain only letters, digits and hyphens, "
                    "not beginning or ending with a hyphen",
                    _doc("elasticbeanstalk", "CreateEnvironment", "EnvironmentName"))
    for key, member in (("application", "ApplicationName"), ("cnamePrefix", "CNAMEPrefix"),
                        ("description", "Description"), ("solutionStackName", "SolutionStackName"),
                        ("platformArn", "PlatformArn"), ("templateName", "TemplateName"),
                        ("version", "VersionLabel"), ("tier", "Tier.Name")):
        p.take(key, member)
    settings = p.inputs.get("settings")
    for n, s in enumerate(settings if isinstance(settings, list) else []):
        if not isinstance(s, Mapping):
            p.set(f"OptionSettings[{n}]", s, f"settings[{n}]")
            continue
        item = {"Namespace": s.get("namespace"), "OptionName": s.get("name"), "Value": s.get("value")}
        # The provider sends ResourceName only when it is set (an empty resource is left out).
        if s.get("resource") not in (None, ""):
            item["ResourceName"] = s["resource"]
        p.set(f"OptionSettings[{n}]", {k: v for k, v in item.items() if v is not None}, f"settings[{n}]")
        for api, key in (("Namespace", "namespace"), ("OptionName", "name"), ("Value", "value"),
                         ("ResourceName", "resource")):
            p.paths[f"OptionSettings[{n}].{api}"] = f"settings[{n}].{key}"
    p.tags("Tags")


# Resources that create nothing an AWS API model constrains beyond what Pulumi's own schema checks
# (or that are not AWS at all) are listed under `not_checked` in the report.


# ---------------------------------------------------------------------------------------------
# Running it

def _validate(ctx: _Context, report: PreflightReport) -> list[Problem]:
    """Check every payload against its model; the model's problems, in payload order."""
    found: list[Problem] = []
    for p in ctx.payloads:
        r = p.resource
        results = []
        if p.request:
            results.append(awsmodel.check_payload(p.service, p.operation, p.request, partial=True, skip=_skip,
                                                  coerce=True))
        for member, value in p.strict.items():
            results.append(awsmodel.check_value(p.service, p.operation, member, value, member, skip=_skip))
        fields = skipped = 0
        for result in results:
            fields += result.fields
            skipped += result.skipped
            for note in result.notes:
                if note not in report.notes:
                    report.notes.append(note)
            for sp in result.problems:
                base = sp.path.removesuffix(" (key)")
                path = p.input_path(base) + sp.path[len(base):] if base != sp.path else p.input_path(sp.path)
                found.append(Problem(str(r.get("name")), str(r.get("type")), path, sp.value, sp.message,
                                     sp.rule, sp.show_value))
        report.payloads += 1
        report.fields_checked += fields
        report.skipped += skipped
        report.checked.append({"resource": r.get("name"), "type": r.get("type"),
                               "api": f"{p.service} {p.operation}", "fields": fields, "skipped": skipped})
    return found


def check_resources(resources: Iterable[Mapping[str, Any]], stack: str | None = None) -> PreflightReport:
    """Preflight any list of resources ({"type", "name", "inputs", optional "id"})."""
    start = time.perf_counter()
    items = [dict(r) for r in resources if "inputs" in r]
    report = PreflightReport(stack=stack)
    ctx = _Context(items)
    for r in items:
        adapter = ADAPTERS.get(str(r.get("type")))
        if adapter is None:
            report.not_checked.setdefault(str(r.get("type")), []).append(str(r.get("name")))
            continue
        adapter(ctx, r)
    model_problems = _validate(ctx, report)
    # Per resource in plan order: what the model refuses first, then the documented rules.
    order = {str(r.get("name")): n for n, r in enumerate(items)}
    report.problems = sorted(model_problems + ctx.problems, key=lambda p: order.get(p.resource, len(order)))
    report.seconds = time.perf_counter() - start
    return report


def check(plan: Mapping[str, Any]) -> PreflightReport:
    """Preflight the resources of a plan (`tools.plan.build_plan(run)`)."""
    return check_resources(plan.get("resources") or [], stack=plan.get("stack"))


def check_resource(type_: str, name: str, inputs: Mapping[str, Any]) -> list[Problem]:
    """The problems of one resource, e.g. at program time with the values known from settings."""
    return check_resources([{"type": type_, "name": name, "inputs": dict(inputs)}]).problems


# Every API operation preflight validates against; tests load each one's model.
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("ecs", "RegisterTaskDefinition"), ("ecs", "CreateCluster"), ("ecs", "PutClusterCapacityProviders"),
    ("ecs", "CreateService"), ("ecr", "CreateRepository"), ("ecr", "PutLifecyclePolicy"),
    ("logs", "CreateLogGroup"), ("logs", "PutRetentionPolicy"),
    ("iam", "CreateRole"), ("iam", "PutRolePolicy"), ("iam", "AttachRolePolicy"), ("iam", "CreateInstanceProfile"),
    ("iam", "AddRoleToInstanceProfile"),
    ("elbv2", "CreateTargetGroup"), ("elbv2", "CreateLoadBalancer"), ("elbv2", "CreateListener"),
    ("application-autoscaling", "RegisterScalableTarget"), ("application-autoscaling", "PutScalingPolicy"),
    ("secretsmanager", "CreateSecret"), ("secretsmanager", "PutSecretValue"),
    ("ec2", "CreateSecurityGroup"), ("ec2", "AuthorizeSecurityGroupIngress"), ("ec2", "AuthorizeSecurityGroupEgress"),
    ("s3", "CreateBucket"), ("s3", "PutPublicAccessBlock"), ("s3", "PutObject"),
    ("elasticbeanstalk", "CreateApplication"), ("elasticbeanstalk", "CreateApplicationVersion"),
    ("elasticbeanstalk", "CreateEnvironment"),
)


def main(argv: list[str] | None = None) -> int:
    from components.settings import SettingsError
    from tools.plan import build_plan
    from tools.runner import committed_stacks, run_stack

    parser = argparse.ArgumentParser(prog="python -m tools.preflight",
                                     description="Check a stack's planned AWS payloads against botocore's API models.")
    parser.add_argument("--stack", action="append", help="stack to check (repeatable; default dev)")
    parser.add_argument("--all", action="store_true", help="check every committed stack")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    args = parser.parse_args(argv)
    stacks = committed_stacks() if args.all else (args.stack or ["dev"])
    status, reports = 0, {}
    for stack in stacks:
        try:
            report = check(build_plan(run_stack(stack)))
        except (SettingsError, OSError, ValueError) as exc:
            print(f"error: stack {stack}: {exc}", file=sys.stderr)
            status = 2
            continue
        reports[stack] = report
        if not report.ok:
            status = 2
        if not args.json:
            print(report.summary())
            for problem in report.problems:
                print(f"  error: {problem}")
    if args.json:
        print(json.dumps({s: r.to_json() for s, r in reports.items()}, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
