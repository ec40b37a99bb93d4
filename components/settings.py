"""Settings: the one place that knows berth's configuration keys.

`load()` reads the stack's `berth:*` configuration, validates every value and returns a frozen,
typed `Settings`. It runs before the first resource is registered, so a bad value stops the
program with a message naming the key, the value and what is allowed, and nothing is half-created.
Under `pulumi up`/`preview` the error is a `pulumi.RunError`: a clean message, no stack trace.

`KEYS` is the schema. `Pulumi.yaml` declares the same keys for `pulumi config`; a test keeps the
two identical.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import pulumi

from components import awsmodel
from components.app_spec import AppSpec, HealthCheck
from components.beanstalk import (
    DEPLOYMENT_POLICIES,
    ENVIRONMENT_TYPES,
    SAFE_POLICIES,
    SINGLE_INSTANCE_POLICIES,
    SOLUTION_STACK_REGEX,
    BeanstalkArgs,
    instance_architecture,
)
from components.ecs_service import FargateServiceArgs
from components.image import ImageArgs
from components.network import NetworkArgs

PROJECT = "berth"
ConfigType = Literal["string", "integer", "boolean", "array"]
Service = Literal["ecs", "beanstalk"]


@dataclass(frozen=True)
class Key:
    name: str
    type: ConfigType
    default: Any
    description: str
    secret: bool = False
    service: Service | None = None  # None: applies to every service

    @property
    def full(self) -> str:
        return f"{PROJECT}:{self.name}"


HC = HealthCheck()
KEYS: tuple[Key, ...] = (
    # --- the app and where it runs
    Key("appName", "string", "catnip", "Name of the app; prefixes resource names (2-16 chars, a-z 0-9 -)."),
    Key("service", "string", "ecs", "Where the app runs: ecs (Fargate behind an ALB) or beanstalk."),
    Key("production", "boolean", False, "Production stack: deletion protection, `protect`, no force-delete."),
    Key("port", "integer", 5000, "Port the app listens on inside the container (1-65535)."),
    Key("hostPort", "integer", 0, "Host port; with awsvpc it must equal `port` (0 = same as port).", service="ecs"),
    Key("environment", "array", [], "Plain environment variables, each NAME=value. Never secrets."),
    Key("secrets", "array", [], "Secret env vars, each NAME=<Secrets Manager or SSM parameter ARN>.",
        service="ecs"),
    Key("logRetentionDays", "integer", 14, "CloudWatch Logs retention in days (a value CloudWatch accepts)."),
    # --- the image
    Key("registry", "string", "ecr", "Where the image is pushed: ecr or dockerhub."),
    Key("platform", "string", "linux/arm64",
        "Build and runtime CPU: linux/arm64 (Graviton, about 20% cheaper) or linux/amd64."),
    Key("appPath", "string", "app", "Docker build context, relative to the project root."),
    Key("dockerfile", "string", "Dockerfile", "Dockerfile path, relative to appPath."),
    Key("imageFrom", "string", "", "Promote instead of build: deploy the image_ref another stack runs "
        "(dev, or org/project/stack)."),
    Key("imageTag", "string", "", "Tag pushed with each build (empty = the stack name). Deploys use the digest."),
    Key("ecrRepository", "string", "", "ECR repository base name (empty = appName); the stack is appended."),
    Key("ecrKeepUntagged", "integer", 10, "Untagged ECR images kept for rollbacks (1-1000)."),
    Key("dockerHubRepository", "string", "", "Docker Hub repository as namespace/name, e.g. yourusername/catnip."),
    Key("dockerHubUsername", "string", "", "Docker Hub user for pushes (empty = the repository namespace)."),
    Key("dockerHubToken", "string", "", "Docker Hub access token. Secret: `pulumi config set --secret`.",
        secret=True),
    Key("dockerHubPrivate", "boolean", False, "The Docker Hub repository is private: runtimes get pull credentials."),
    # --- network
    Key("network", "string", "default", "default (the account's default VPC) or new (a VPC for this stack)."),
    Key("vpcCidr", "string", "10.20.0.0/16", "CIDR of the new VPC (/16 to /24)."),
    Key("azCount", "integer", 2, "Availability zones used (2-4): subnets of the new VPC, or default subnets."),
    Key("natGateway", "boolean", False, "Put tasks in private subnets behind ONE NAT gateway (~$33/month)."),
    Key("ingressCidrs", "array", ["0.0.0.0/0"], "IPv4 CIDRs allowed to reach the load balancer.",
        service="ecs"),
    Key("certificateArn", "string", "", "ACM certificate ARN: adds HTTPS on 443 and redirects HTTP to it."),
    # --- health checks and rollout
    Key("healthCheckPath", "string", HC.path, "Path the load balancer probes; must start with /."),
    Key("healthCheckInterval", "integer", HC.interval, "Seconds between health checks (5-300)."),
    Key("healthCheckTimeout", "integer", HC.timeout, "Health check timeout in seconds (2-120, below the interval)."),
    Key("healthyThreshold", "integer", HC.healthy_threshold, "Passing checks before a target gets traffic (2-10)."),
    Key("unhealthyThreshold", "integer", HC.unhealthy_threshold, "Failing checks before a target is pulled (2-10)."),
    Key("deregistrationDelay", "integer", HC.deregistration_delay, "Seconds an old target drains (0-3600)."),
    Key("healthCheckGracePeriod", "integer", HC.grace_period,
        "Seconds ECS ignores a new task's failing health checks (0-3600).", service="ecs"),
    Key("stopTimeout", "integer", 5, "Seconds from SIGTERM to SIGKILL when a task stops (2-120).", service="ecs"),
    # --- ECS Fargate sizing and scaling
    Key("cpu", "integer", 256, "Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).", service="ecs"),
    Key("memory", "integer", 512, "Fargate task memory in MiB; must pair with cpu.", service="ecs"),
    Key("desiredCount", "integer", 1, "Tasks to run (between minCount and maxCount).", service="ecs"),
    Key("minCount", "integer", 1, "Fewest tasks (ECS) or instances (Beanstalk LoadBalanced) to run."),
    Key("maxCount", "integer", 1, "Most tasks or instances; above minCount turns CPU autoscaling on."),
    Key("cpuTargetPercent", "integer", 60, "Average CPU autoscaling aims for (10-90)."),
    Key("spot", "boolean", False, "Run tasks on Fargate Spot (about 70% cheaper, may be interrupted).",
        service="ecs"),
    Key("waitForSteadyState", "boolean", True, "`pulumi up` waits until the ECS rollout is steady.",
        service="ecs"),
    Key("containerInsights", "boolean", False, "CloudWatch Container Insights on the cluster (extra cost).",
        service="ecs"),
    # --- Elastic Beanstalk
    Key("environmentType", "string", "SingleInstance",
        "SingleInstance (cheapest, no load balancer) or LoadBalanced (an application load balancer).",
        service="beanstalk"),
    Key("instanceType", "string", "", "EC2 instance type (empty = t3.micro for linux/amd64, t4g.micro for arm64).",
        service="beanstalk"),
    Key("deploymentPolicy", "string", "",
        "AllAtOnce, Rolling, RollingWithAdditionalBatch, Immutable or TrafficSplitting "
        "(empty = AllAtOnce, or Immutable in production).", service="beanstalk"),
    Key("solutionStack", "string", "", "Pin a platform, e.g. '64bit Amazon Linux 2023 v4.7.2 running Docker' "
        "(empty = the newest at creation).", service="beanstalk"),
)
KEYS_BY_NAME: dict[str, Key] = {k.name: k for k in KEYS}

# --- rules AWS documents but does not put in its API models (each with its source) ---------------
# Fargate task sizes: "Task CPU and memory", Amazon ECS developer guide (fargate-tasks-services).
FARGATE_MEMORY: dict[int, range] = {
    256: range(512, 2049, 512),  # 512, 1024, 2048 (1536 is refused below)
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
    8192: range(16384, 61441, 4096),
    16384: range(32768, 122881, 8192),
}


def fargate_memory_options(cpu: int) -> list[int]:
    options = list(FARGATE_MEMORY.get(cpu, ()))
    return [m for m in options if not (cpu == 256 and m == 1536)]


# CloudWatch Logs PutRetentionPolicy accepts only these values (API reference, retentionInDays).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653)
# Docker Hub: a namespace (Docker ID or organisation) is 4-30 lowercase letters and digits; a
# repository name is 2-255 lowercase letters, digits and . _ - (Docker Hub docs, "Create a repository").
DOCKER_HUB_NAMESPACE = re.compile(r"[a-z0-9]{4,30}")
DOCKER_HUB_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
# Docker tag grammar (distribution/reference): 1-128 chars, not starting with . or -.
DOCKER_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
APP_NAME = re.compile(r"[a-z][a-z0-9-]{0,14}[a-z0-9]")
STACK_REFERENCE = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+){0,2}")
STACK_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SECRET_LOOKING = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL", re.I)
SECRET_ARN = re.compile(
    r"arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|ssm:[a-z0-9-]+:\d{12}:parameter/.+)"
)
CERTIFICATE_ARN = re.compile(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+")
RESERVED_ENV = {"PORT"}  # berth sets it to the app port
# Elastic Beanstalk environment names: letters, digits and hyphens, not starting or ending with a
# hyphen (EB API reference, CreateEnvironment.EnvironmentName); the length comes from the model.
EB_ENV_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+")
DEFAULT_INSTANCE = {"linux/amd64": "t3.micro", "linux/arm64": "t4g.micro"}


class SettingsError(pulumi.RunError):
    """One or more settings are invalid. Each problem names the key, the value and what is allowed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        if len(problems) == 1:
            message = problems[0]
        else:
            message = f"{len(problems)} invalid settings:\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(message)


@dataclass(frozen=True)
class Settings:
    stack: str
    project_dir: Path
    app_name: str
    service: Service
    production: bool
    region: str | None
    tags: Mapping[str, str]
    app: AppSpec
    image: ImageArgs
    network: NetworkArgs
    ecs: FargateServiceArgs | None
    beanstalk: BeanstalkArgs | None
    # Filled in by load() from `require_secret`; never a plain string.
    docker_hub_token: pulumi.Output[str] | None = None

    def component_name(self, role: str) -> str:
        return f"{self.app_name}-{role}"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value)


class _Reader:
    """Reads typed values out of raw config, collecting problems instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, Any], secret_keys: Collection[str]) -> None:
        self.raw = raw
        self.secret_keys = secret_keys
        self.problems: list[str] = []

    def is_set(self, name: str) -> bool:
        return name in self.raw and self.raw[name] is not None

    def problem(self, name: str, value: Any, allowed: str) -> None:
        self.problems.append(f"{PROJECT}:{name} = {_show(value)} is not allowed: {allowed}")

    def value(self, name: str) -> Any:
        return self.raw[name] if self.is_set(name) else KEYS_BY_NAME[name].default

    def string(self, name: str) -> str:
        value = self.value(name)
        if not isinstance(value, str):
            self.problem(name, value, "must be a string")
            return KEYS_BY_NAME[name].default
        return value.strip()

    def choice(self, name: str, options: Collection[str]) -> str:
        value = self.string(name)
        if value not in options:
            self.problem(name, value, "must be one of " + ", ".join(options))
            return KEYS_BY_NAME[name].default
        return value

    def integer(self, name: str, low: int, high: int, allowed: str | None = None) -> int:
        value = self.value(name)
        parsed: int | None = None
        if isinstance(value, bool):
            parsed = None
        elif isinstance(value, int):
            parsed = value
        elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            parsed = int(value)
        if parsed is None or not low <= parsed <= high:
            self.problem(name, value, allowed or f"must be an integer from {low} to {high}")
            return KEYS_BY_NAME[name].default
        return parsed

    def boolean(self, name: str) -> bool:
        value = self.value(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        self.problem(name, value, "must be true or false")
        return KEYS_BY_NAME[name].default

    def array(self, name: str) -> list[str]:
        value = self.value(name)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                self.problem(name, value, "must be a list of strings")
                return list(KEYS_BY_NAME[name].default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(name, value, "must be a list of strings")
            return list(KEYS_BY_NAME[name].default)
        return value


def _aws_rule(reader: _Reader, name: str, value: Any, rule: awsmodel.MemberRule) -> bool:
    found = rule.problems(value)
    if found:
        reader.problem(name, value, f"{'; '.join(found)} — AWS allows {rule.describe()}")
    return not found


def _pairs(reader: _Reader, name: str, entries: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for entry in entries:
        var, sep, val = entry.partition("=")
        if not sep or not ENV_NAME.fullmatch(var):
            reader.problem(name, entry, "each entry must be NAME=value with NAME made of A-Z, a-z, 0-9 and _")
            continue
        if var in seen:
            reader.problem(name, entry, f"{var} is set twice")
            continue
        if var in RESERVED_ENV:
            reader.problem(name, entry, f"{var} is set by berth from {PROJECT}:port")
            continue
        seen.add(var)
        pairs.append((var, val))
    return sorted(pairs)


def _same_as_default(key: Key, value: Any) -> bool:
    """True when a raw value equals the key's default (the CLI fills defaults in as strings)."""
    if isinstance(value, str) and key.type in ("array", "boolean", "integer"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return False
    return value == key.default


def _unknown_keys(reader: _Reader, service: str) -> None:
    for name, value in reader.raw.items():
        key = KEYS_BY_NAME.get(name)
        if key is None:
            close = difflib.get_close_matches(name, KEYS_BY_NAME, n=1, cutoff=0.6)
            hint = f"did you mean {PROJECT}:{close[0]}?" if close else "see the config reference in README.md"
            reader.problem(name, value, f"{PROJECT}:{name} is not a berth setting; {hint}")
        elif key.service and key.service != service and not _same_as_default(key, value):
            reader.problem(name, value, f"applies to {PROJECT}:service {key.service!r} only, and this stack "
                           f"runs {service!r}; remove it")


def parse(
    raw_config: Mapping[str, Any],
    *,
    stack: str,
    project_dir: Path,
    secret_keys: Collection[str] = (),
    region: str | None = None,
) -> Settings:
    """Validate raw configuration (keys with or without the `berth:` prefix) into `Settings`.

    Raises SettingsError listing every problem found.
    """
    raw = {k.split(":", 1)[1] if k.startswith(f"{PROJECT}:") else k: v for k, v in raw_config.items()
           if ":" not in k or k.startswith(f"{PROJECT}:")}
    secrets = {k.split(":", 1)[1] if k.startswith(f"{PROJECT}:") else k for k in secret_keys}
    r = _Reader(raw, secrets)

    if not STACK_NAME.fullmatch(stack):
        r.problems.append(
            f"stack name {stack!r} is not allowed: berth uses it in AWS resource names, so it must be "
            "1-63 characters of a-z, 0-9 and -, not starting or ending with -"
        )
    app_name = r.string("appName")
    if not APP_NAME.fullmatch(app_name):
        r.problem("appName", app_name, "2-16 characters of a-z, 0-9 and -, starting with a letter, "
                  "not ending with -")
        app_name = KEYS_BY_NAME["appName"].default
    service: Service = r.choice("service", ("ecs", "beanstalk"))  # type: ignore[assignment]
    _unknown_keys(r, service)
    production = r.boolean("production")

    # --- app
    port_rule = awsmodel.member_rule("elbv2", "CreateTargetGroup", "Port")
    port = r.integer("port", port_rule.min, port_rule.max,
                     f"must be an integer from {port_rule.min} to {port_rule.max} ({port_rule.where})")
    host_port = r.integer("hostPort", 0, 65535)
    if host_port not in (0, port):
        r.problem("hostPort", host_port, f"with awsvpc networking the host port must equal {PROJECT}:port "
                  f"({port}); leave it unset")
    environment = _pairs(r, "environment", r.array("environment"))
    for var, _ in environment:
        if SECRET_LOOKING.search(var):
            r.problem("environment", var, "looks like a secret; store it in Secrets Manager and reference it "
                      f"in {PROJECT}:secrets as {var}=<secret ARN> so it never sits in plain text")
    secret_pairs = _pairs(r, "secrets", r.array("secrets"))
    for var, arn in secret_pairs:
        if not SECRET_ARN.fullmatch(arn):
            r.problem("secrets", f"{var}={arn}", "the value must be a Secrets Manager secret ARN or an SSM "
                      "parameter ARN (arn:aws:secretsmanager:… or arn:aws:ssm:…:parameter/…)")
    clash = {v for v, _ in environment} & {v for v, _ in secret_pairs}
    if clash:
        r.problem("secrets", sorted(clash), f"also set in {PROJECT}:environment; keep each name in one place")
    retention = r.integer("logRetentionDays", 1, 3653)
    if retention not in LOG_RETENTION_DAYS:
        r.problem("logRetentionDays", retention, "CloudWatch Logs accepts only "
                  + ", ".join(map(str, LOG_RETENTION_DAYS)))
        retention = KEYS_BY_NAME["logRetentionDays"].default
    stop_timeout = r.integer("stopTimeout", 2, 120, "must be an integer from 2 to 120 (Fargate's maximum)")

    # --- health check (ranges from the ELBv2 CreateTargetGroup model)
    tg = ("elbv2", "CreateTargetGroup")
    path = r.string("healthCheckPath")
    if not path.startswith("/") or any(c.isspace() for c in path):
        r.problem("healthCheckPath", path, "must start with / and contain no spaces, e.g. /health")
    else:
        _aws_rule(r, "healthCheckPath", path, awsmodel.member_rule(*tg, "HealthCheckPath"))

    def model_int(name: str, member: str) -> int:
        rule = awsmodel.member_rule(*tg, member)
        return r.integer(name, rule.min, rule.max,
                         f"must be an integer from {rule.min} to {rule.max} ({rule.where})")

    interval = model_int("healthCheckInterval", "HealthCheckIntervalSeconds")
    timeout = model_int("healthCheckTimeout", "HealthCheckTimeoutSeconds")
    if timeout >= interval:
        r.problem("healthCheckTimeout", timeout, f"must be below {PROJECT}:healthCheckInterval ({interval})")
    healthy = model_int("healthyThreshold", "HealthyThresholdCount")
    unhealthy = model_int("unhealthyThreshold", "UnhealthyThresholdCount")
    # Target group attribute deregistration_delay.timeout_seconds: 0-3600 (ELB user guide).
    drain = r.integer("deregistrationDelay", 0, 3600)
    grace = r.integer("healthCheckGracePeriod", 0, 3600)
    health = HealthCheck(path=path, interval=interval, timeout=timeout, healthy_threshold=healthy,
                         unhealthy_threshold=unhealthy, deregistration_delay=drain, grace_period=grace)

    app = AppSpec(name=app_name, port=port, environment=tuple(environment), secrets=tuple(secret_pairs),
                  health=health, log_retention_days=retention, stop_timeout=stop_timeout)

    # --- image
    registry = r.choice("registry", ("ecr", "dockerhub"))
    platform = r.choice("platform", ("linux/amd64", "linux/arm64"))
    context_rel = PurePosixPath(r.string("appPath") or ".")
    dockerfile_rel = context_rel / r.string("dockerfile")
    context_abs = (project_dir / context_rel).resolve()
    dockerfile_abs = (project_dir / dockerfile_rel).resolve()
    if context_rel.is_absolute() or ".." in context_rel.parts:
        r.problem("appPath", str(context_rel), "must be a path inside the project, relative to Pulumi.yaml")
    elif not context_abs.is_dir():
        r.problem("appPath", str(context_rel), f"the build context {context_abs} does not exist")
    elif not dockerfile_abs.is_file():
        r.problem("dockerfile", str(dockerfile_rel.relative_to(context_rel)),
                  f"no Dockerfile at {dockerfile_abs}")
    image_from = r.string("imageFrom") or None
    if image_from and not STACK_REFERENCE.fullmatch(image_from):
        r.problem("imageFrom", image_from, "must name a stack: dev, or organization/project/stack")
    elif image_from and image_from.rsplit("/", 1)[-1] == stack and image_from.count("/") == 0:
        r.problem("imageFrom", image_from, "names this stack itself; promote from the stack that builds the image")
    tag = r.string("imageTag") or stack
    if not DOCKER_TAG.fullmatch(tag):
        r.problem("imageTag", tag, "1-128 characters of A-Z, a-z, 0-9, _ . -, not starting with . or -")

    ecr_repository = None
    hub_repository = hub_user = None
    if registry == "ecr":
        base = r.string("ecrRepository") or app_name
        ecr_repository = f"{base}-{stack}"
        _aws_rule(r, "ecrRepository", ecr_repository,
                  awsmodel.member_rule("ecr", "CreateRepository", "repositoryName"))
    else:
        hub_repository = r.string("dockerHubRepository")
        namespace, slash, repo_name = hub_repository.partition("/")
        if not hub_repository:
            r.problem("dockerHubRepository", hub_repository, f"required when {PROJECT}:registry is dockerhub, "
                      "e.g. yourusername/catnip")
        elif not slash:
            r.problem("dockerHubRepository", hub_repository, "needs a namespace: namespace/name, e.g. "
                      f"yourusername/{hub_repository} (a bare name would mean the official library)")
        elif not DOCKER_HUB_NAMESPACE.fullmatch(namespace):
            r.problem("dockerHubRepository", hub_repository, "the namespace must be 4-30 lowercase letters "
                      "and digits")
        elif not (DOCKER_HUB_NAME.fullmatch(repo_name) and 2 <= len(repo_name) <= 255):
            r.problem("dockerHubRepository", hub_repository, "the repository name must be 2-255 characters "
                      "of lowercase letters, digits and . _ -")
        hub_user = r.string("dockerHubUsername") or namespace
        if not r.is_set("dockerHubToken") or r.raw.get("dockerHubToken") in ("", None):
            r.problems.append(f"{PROJECT}:dockerHubToken is required when {PROJECT}:registry is dockerhub: "
                              f"pulumi config set --secret {PROJECT}:dockerHubToken <access token>")
    if r.is_set("dockerHubToken") and r.raw["dockerHubToken"] not in ("",) and \
            "dockerHubToken" not in r.secret_keys:
        r.problems.append(f"{PROJECT}:dockerHubToken is stored in plain text; remove it from the stack file "
                          f"and run: pulumi config set --secret {PROJECT}:dockerHubToken <access token>")
    docker_hub_private = r.boolean("dockerHubPrivate")

    # `environment` lets policies tell production resources apart without reading stack config.
    tags = {"app": app_name, "stack": stack, "managed-by": PROJECT,
            "environment": "production" if production else "non-production"}
    image = ImageArgs(
        registry=registry,  # type: ignore[arg-type]
        platform=platform,
        context=context_rel,
        dockerfile=dockerfile_rel,
        tag=tag,
        ecr_repository=ecr_repository,
        ecr_keep_untagged=r.integer("ecrKeepUntagged", 1, 1000),
        ecr_force_delete=not production,
        protect=production,
        docker_hub_repository=hub_repository,
        docker_hub_username=hub_user,
        docker_hub_private=docker_hub_private,
        promote_from=image_from,
        tags=tags,
    )

    # --- network
    mode = r.choice("network", ("default", "new"))
    cidr = r.string("vpcCidr")
    try:
        net = ipaddress.IPv4Network(cidr)
        if not 16 <= net.prefixlen <= 24:
            r.problem("vpcCidr", cidr, "the prefix must be /16 to /24")
    except ValueError:
        r.problem("vpcCidr", cidr, "must be an IPv4 network such as 10.20.0.0/16 (no host bits set)")
    az_count = r.integer("azCount", 2, 4)
    nat = r.boolean("natGateway")
    if nat and mode == "default":
        r.problem("natGateway", True, f"needs {PROJECT}:network = new (berth never changes the default VPC)")
    ingress = r.array("ingressCidrs")
    for entry in ingress:
        try:
            ipaddress.IPv4Network(entry)
        except ValueError:
            r.problem("ingressCidrs", entry, "each entry must be an IPv4 CIDR such as 203.0.113.0/24")
    if not ingress:
        r.problem("ingressCidrs", ingress, "needs at least one CIDR, or nobody can reach the load balancer")
    network = NetworkArgs(mode=mode, cidr=cidr, az_count=az_count, nat_gateway=nat, tags=tags)  # type: ignore[arg-type]

    certificate = r.string("certificateArn") or None
    if certificate and not CERTIFICATE_ARN.fullmatch(certificate):
        r.problem("certificateArn", certificate, "must be an ACM certificate ARN, "
                  "arn:aws:acm:<region>:<account>:certificate/<id>")

    low = r.integer("minCount", 1, 1000)
    high = r.integer("maxCount", 1, 1000)
    if low > high:
        r.problem("minCount", low, f"must not exceed {PROJECT}:maxCount ({high})")
    cpu_target = r.integer("cpuTargetPercent", 10, 90)

    ecs = None
    if service == "ecs":
        cpu = r.integer("cpu", 256, 16384)
        memory = r.integer("memory", 512, 122880)
        if cpu not in FARGATE_MEMORY:
            r.problem("cpu", cpu, "Fargate accepts " + ", ".join(map(str, FARGATE_MEMORY)))
        elif memory not in fargate_memory_options(cpu):
            options = fargate_memory_options(cpu)
            r.problem("memory", memory, f"with cpu {cpu} Fargate accepts {options[0]}-{options[-1]} MiB: "
                      + ", ".join(map(str, options)))
        desired = r.integer("desiredCount", 1, 1000)
        if low <= high and not low <= desired <= high:
            r.problem("desiredCount", desired, f"must lie between {PROJECT}:minCount ({low}) and "
                      f"{PROJECT}:maxCount ({high})")
        log_group = f"/berth/{app_name}/{stack}"
        _aws_rule(r, "appName", log_group, awsmodel.member_rule("logs", "CreateLogGroup", "logGroupName"))
        ecs = FargateServiceArgs(
            app=app,
            family=f"{app_name}-{stack}",
            log_group_name=log_group,
            platform=platform,
            cpu=cpu,
            memory=memory,
            desired_count=desired,
            min_count=low,
            max_count=high,
            cpu_target_percent=cpu_target,
            spot=r.boolean("spot"),
            wait_for_steady_state=r.boolean("waitForSteadyState"),
            container_insights=r.boolean("containerInsights"),
            certificate_arn=certificate,
            ingress_cidrs=tuple(ingress),
            production=production,
            tags=tags,
        )

    beanstalk = None
    if service == "beanstalk":
        beanstalk = _beanstalk(r, app=app, stack=stack, platform=platform, production=production,
                               certificate=certificate, low=low, high=high, cpu_target=cpu_target,
                               registry=registry, tags=tags)

    if r.problems:
        raise SettingsError(r.problems)
    return Settings(
        stack=stack, project_dir=project_dir, app_name=app_name, service=service, production=production,
        region=region, tags=tags, app=app, image=image, network=network, ecs=ecs, beanstalk=beanstalk,
    )


def _beanstalk(r: _Reader, *, app: AppSpec, stack: str, platform: str, production: bool,
               certificate: str | None, low: int, high: int, cpu_target: int, registry: str,
               tags: Mapping[str, str]) -> BeanstalkArgs:
    name = f"{app.name}-{stack}"
    _aws_rule(r, "appName", name, awsmodel.member_rule("elasticbeanstalk", "CreateApplication", "ApplicationName"))
    name_rule = awsmodel.member_rule("elasticbeanstalk", "CreateEnvironment", "EnvironmentName")
    if name_rule.problems(name) or not EB_ENV_NAME.fullmatch(name):
        found = name_rule.problems(name) or ["letters, digits and hyphens only, no hyphen at either end"]
        r.problems.append(
            f"the Elastic Beanstalk environment name {name!r} ({PROJECT}:appName + '-' + the stack name) is not "
            f"allowed: {'; '.join(found)} — AWS allows {name_rule.min}-{name_rule.max} characters of letters, "
            "digits and hyphens, not starting or ending with a hyphen"
        )
    env_type = r.choice("environmentType", ENVIRONMENT_TYPES)
    instance_type = r.string("instanceType") or DEFAULT_INSTANCE[platform]
    if not INSTANCE_TYPE.fullmatch(instance_type):
        r.problem("instanceType", instance_type, "must be an EC2 instance type such as t3.micro or t4g.small")
    elif instance_architecture(instance_type) != platform:
        r.problem("instanceType", instance_type, f"runs {instance_architecture(instance_type)} but "
                  f"{PROJECT}:platform is {platform}; the image would fail with 'exec format error' — pick a "
                  f"{'Graviton (…g) ' if platform == 'linux/arm64' else 'x86 '}type or change {PROJECT}:platform")
    policy = r.string("deploymentPolicy") or ("Immutable" if production else "AllAtOnce")
    if policy not in DEPLOYMENT_POLICIES:
        r.problem("deploymentPolicy", policy, "must be one of " + ", ".join(DEPLOYMENT_POLICIES))
    elif env_type == "SingleInstance" and policy not in SINGLE_INSTANCE_POLICIES:
        r.problem("deploymentPolicy", policy, "a SingleInstance environment supports only "
                  + " or ".join(SINGLE_INSTANCE_POLICIES))
    elif production and policy not in SAFE_POLICIES:
        r.problem("deploymentPolicy", policy, "production stacks must not lose capacity while deploying: use "
                  + ", ".join(SAFE_POLICIES))
    pinned = r.string("solutionStack") or None
    if pinned and not re.fullmatch(SOLUTION_STACK_REGEX, pinned):
        r.problem("solutionStack", pinned, f"must name an Amazon Linux 2023 Docker platform ({SOLUTION_STACK_REGEX})")
    if env_type == "SingleInstance" and (low, high) != (1, 1):
        r.problem("maxCount" if high != 1 else "minCount", high if high != 1 else low,
                  f"a SingleInstance environment runs exactly one instance; use {PROJECT}:environmentType "
                  "LoadBalanced to run more")
    if env_type == "SingleInstance" and certificate:
        r.problem("certificateArn", certificate, "HTTPS needs a load balancer: set "
                  f"{PROJECT}:environmentType to LoadBalanced")
    return BeanstalkArgs(
        app=app, application_name=name, environment_name=name, platform=platform, instance_type=instance_type,
        environment_type=env_type, deployment_policy=policy, solution_stack=pinned, min_instances=low,
        max_instances=high, cpu_target_percent=cpu_target, certificate_arn=certificate,
        ecr_pull=registry == "ecr", production=production, tags=tags,
    )


def required_secrets(values: Mapping[str, Any]) -> list[str]:
    """Secret keys this configuration needs (full `berth:` names). The offline plan fills the ones a
    stack file leaves out (secrets are often set only on the deploying machine) with placeholders."""
    registry = values.get(f"{PROJECT}:registry", KEYS_BY_NAME["registry"].default)
    return [f"{PROJECT}:dockerHubToken"] if registry == "dockerhub" else []


def load(project_dir: Path) -> Settings:
    """Read and validate this stack's configuration from the Pulumi runtime."""
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    raw = {k: v for k, v in merged.items() if k.startswith(f"{PROJECT}:")}
    secret_keys = [k for k in raw if runtime_config.is_config_secret(k)]
    settings = parse(
        raw,
        stack=pulumi.get_stack(),
        project_dir=project_dir,
        secret_keys=secret_keys,
        region=merged.get("aws:region"),
    )
    if settings.image.registry == "dockerhub":
        token = pulumi.Config(PROJECT).require_secret("dockerHubToken")
        settings = replace(settings, docker_hub_token=token)
    return settings
