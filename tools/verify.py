"""Verify what actually runs after `pulumi up`: the rollout, its health and a live HTTP probe.

    python -m tools.verify --stack dev                     # reads the outputs with the Pulumi CLI
    python -m tools.verify --outputs outputs.json          # `pulumi stack output --json --show-secrets`
    pulumi stack output --json --show-secrets | python -m tools.verify --outputs -
    python -m tools.verify --stack dev --json              # {"ok": ..., "checks": [{"name", "ok", "detail"}]}

`pulumi up` can return before an ECS rollout finishes, and after a circuit-breaker rollback ECS
reports the service steady again on the *old* revision. This tool checks the revision this stack
deployed is the one serving traffic:

- ecs: the PRIMARY deployment runs the stack's task definition revision, its rolloutState is
  COMPLETED, running count equals desired count and every target in the target group is healthy.
  A rollback (PRIMARY on another revision, or rolloutState FAILED) fails at once and names the
  revision that runs and the one expected; a rollout IN_PROGRESS is polled with backoff until
  --timeout.
- beanstalk: the environment's VersionLabel is the deployed version, Status is Ready and Health is
  Green (or enhanced health Ok); a failure lists the recent environment events that explain it.
- probe: GET on `url` and on `url` + `health_check_path` answer 200, retried with backoff until
  --probe-timeout; the latency is reported.

AWS access uses boto3's standard credential chain, the region from the outputs (else the default
chain's) and honours AWS_ENDPOINT_URL like every boto3 client. Nothing secret is printed: only the
outputs named above are read, the rest (e.g. secrets shown by --show-secrets) are dropped.

Exit status: 0 every check holds; 1 a check failed (one line per check says why); 2 bad input
(outputs unreadable or incomplete, unknown service_kind, no Pulumi CLI, no AWS region/credentials).
Progress while waiting goes to stderr, so stdout stays one report (text or JSON).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

DEFAULT_TIMEOUT = 600.0  # berth's rollouts take 1-3 min; with AWS's default health/drain settings up to 9
DEFAULT_INTERVAL = 5.0  # first wait between polls; grows x1.5 up to MAX_POLL_DELAY
MAX_POLL_DELAY = 30.0
DEFAULT_PROBE_TIMEOUT = 60.0  # DNS of a fresh ALB and its first healthy target can take a minute
MAX_PROBE_DELAY = 8.0
REQUEST_TIMEOUT = 10.0
MAX_BODY = 1 << 20  # read (and drop) at most 1 MiB so latency includes the body of a normal page
SERVICE_EVENTS_SHOWN = 3
BEANSTALK_EVENTS_SHOWN = 5
KINDS = ("ecs", "beanstalk")
COMMON_OUTPUTS = ("service_kind", "url", "health_check_path")
KIND_OUTPUTS = {
    "ecs": ("cluster_name", "service_name", "task_definition_arn", "target_group_arn"),
    "beanstalk": ("application_name", "environment_name", "version_label"),
}
PROBLEM_SEVERITIES = ("WARN", "ERROR", "FATAL")

# ResponseParserError is not a BotoCoreError: it is what an HTML error page (a proxy, an emulator's
# unimplemented API) turns into, and it must fail a check rather than crash the verifier.
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)

Clock = Callable[[], float]
Sleep = Callable[[float], None]
Progress = Callable[[str], None]


class InputError(Exception):
    """The verifier cannot start: bad or missing outputs, no CLI, no region or credentials (exit 2)."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    context: tuple[str, ...] = ()  # supporting lines (service or environment events), shown under the check

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "context": list(self.context)}


@dataclass(frozen=True)
class Verdict:
    """One observation of a deployment, turned into checks."""

    checks: tuple[Check, ...]
    final: bool  # every check holds, or one failed in a way that waiting cannot fix (a rollback)
    progress: str = ""  # one line for the progress display while waiting

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass(frozen=True)
class Timing:
    timeout: float = DEFAULT_TIMEOUT
    interval: float = DEFAULT_INTERVAL
    probe_timeout: float = DEFAULT_PROBE_TIMEOUT


@dataclass(frozen=True)
class Deployed:
    """The stack outputs the verifier needs, validated; nothing else from the outputs is kept."""

    kind: str
    url: str
    health_check_path: str
    region: str | None = None
    cluster_name: str = ""
    service_name: str = ""
    task_definition_arn: str = ""
    target_group_arn: str = ""
    application_name: str = ""
    environment_name: str = ""
    version_label: str = ""

    @property
    def health_url(self) -> str:
        return self.url.rstrip("/") + self.health_check_path


# ---------------------------------------------------------------------------------------------
# Reading the stack outputs


def read_outputs_file(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read outputs file {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # The position only: the text may hold secrets (--show-secrets), so none of it is echoed.
        raise InputError(f"outputs file {path} is not JSON (line {exc.lineno}, column {exc.colno}); "
                         "expected the output of `pulumi stack output --json --show-secrets`") from None


def outputs_from_stack(stack: str, run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> Any:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise InputError("the Pulumi CLI is not installed (no `pulumi` on PATH); run "
                         "`pulumi stack output --json --show-secrets > outputs.json` where it is and pass "
                         "--outputs outputs.json")
    cmd = [pulumi, "stack", "output", "--json", "--show-secrets", "--stack", stack]
    try:
        result = run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"`pulumi stack output --stack {stack}` did not run: {exc}") from None
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stderr or "").splitlines() if line.strip()]
        why = lines[-1] if lines else f"exit status {result.returncode}"
        raise InputError(f"`pulumi stack output --stack {stack}` failed: {why}")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        raise InputError(f"`pulumi stack output --stack {stack}` did not print JSON") from None


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):  # a version label or port that YAML/JSON turned into a number
        return str(value)
    return None


TASK_DEFINITION_ARN = re.compile(r"^arn:[\w-]+:ecs:[\w-]+:\d{12}:task-definition/[\w-]+:\d+$")


def parse_outputs(raw: Any) -> Deployed:
    """Validate the outputs this verifier reads; one InputError naming every problem."""
    if not isinstance(raw, Mapping):
        raise InputError("the outputs are not a JSON object of stack outputs")
    kind = _text(raw.get("service_kind"))
    if kind is not None and kind not in KINDS:
        raise InputError(f"service_kind {kind!r} is not supported: expected one of {', '.join(KINDS)}")
    wanted = COMMON_OUTPUTS + (KIND_OUTPUTS[kind] if kind else ())
    values: dict[str, str] = {}
    missing, hidden = [], []
    for key in wanted:
        value = _text(raw.get(key))
        if not value:
            missing.append(key)
        elif value == "[secret]":
            hidden.append(key)
        else:
            values[key] = value
    if missing:
        suffix = f" (needed for service_kind {kind})" if kind else ""
        raise InputError(f"the outputs lack {', '.join(missing)}{suffix}")
    if hidden:
        raise InputError(f"the outputs hide {', '.join(hidden)} as [secret]: read them with --show-secrets")
    problems = []
    if not re.match(r"^https?://[^/\s]+", values["url"]):
        problems.append("url must be an http:// or https:// address")
    if not values["health_check_path"].startswith("/"):
        problems.append("health_check_path must start with /")
    if kind == "ecs" and not TASK_DEFINITION_ARN.match(values["task_definition_arn"]):
        problems.append("task_definition_arn must look like "
                        "arn:aws:ecs:<region>:<account>:task-definition/<family>:<n>")
    if problems:
        raise InputError("; ".join(problems))
    region = _text(raw.get("region")) or None
    return Deployed(kind=values.pop("service_kind"), region=region, **values)


# ---------------------------------------------------------------------------------------------
# Pure decisions: ECS


def revision_of(task_definition_arn: str) -> str:
    """`family:revision` of a task definition ARN (what people call a revision)."""
    return task_definition_arn.rsplit("task-definition/", 1)[-1] if task_definition_arn else "(none)"


def _family_revision(revision: str) -> tuple[str, int | None]:
    family, _, number = revision.rpartition(":")
    return (family, int(number)) if number.isdigit() else (revision, None)


def describe_mismatch(runs: str, expected: str) -> str:
    family, number = _family_revision(runs)
    want_family, want_number = _family_revision(expected)
    if family == want_family and number is not None and want_number is not None:
        if number < want_number:
            return f"rolled back: the PRIMARY deployment runs {runs}, this stack deployed {expected}"
        return (f"the PRIMARY deployment runs {runs}, newer than {expected} that this stack deployed "
                "(another deploy replaced it)")
    return f"the PRIMARY deployment runs {runs}, not {expected} that this stack deployed"


def evaluate_targets(descriptions: Sequence[Mapping[str, Any]], desired: int) -> Check:
    if not descriptions:
        if desired == 0:
            return Check("ecs.targets", True, "no targets registered (desired count 0)")
        return Check("ecs.targets", False, "no targets registered in the target group")
    bad = [d for d in descriptions if (d.get("TargetHealth") or {}).get("State") != "healthy"]
    total = len(descriptions)
    if not bad:
        return Check("ecs.targets", True, f"{total}/{total} targets healthy")
    shown = []
    for d in bad[:3]:
        target, health = d.get("Target") or {}, d.get("TargetHealth") or {}
        where = f"{target.get('Id', '?')}:{target.get('Port', '?')}"
        reason = health.get("Reason")
        shown.append(f"{where} {health.get('State', 'unknown')}" + (f" ({reason})" if reason else ""))
    more = f", and {len(bad) - 3} more" if len(bad) > 3 else ""
    return Check("ecs.targets", False, f"{len(bad)} of {total} targets not healthy: {', '.join(shown)}{more}")


def service_events(service: Mapping[str, Any], limit: int = SERVICE_EVENTS_SHOWN) -> tuple[str, ...]:
    # ECS returns events newest first; the latest few say "rolling back", "failed to start", ...
    return tuple(str(e.get("message", "")) for e in (service.get("events") or [])[:limit] if e.get("message"))


def evaluate_ecs(service: Mapping[str, Any] | None, targets: Sequence[Mapping[str, Any]],
                 expected_task_definition: str) -> Verdict:
    """Turn one describe_services + describe_target_health answer into checks."""
    expected = revision_of(expected_task_definition)
    if service is None or service.get("status") != "ACTIVE":
        state = "not found" if service is None else f"{service.get('status', 'unknown')}, not ACTIVE"
        return Verdict((Check("ecs.service", False, f"the service is {state}"),), final=True)
    deployments = list(service.get("deployments") or [])
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    events = service_events(service)
    if primary is None:
        return Verdict((Check("ecs.revision", False, "the service has no PRIMARY deployment", events),), final=True)

    runs = revision_of(str(primary.get("taskDefinition", "")))
    rolled_away = runs != expected
    if rolled_away:
        revision = Check("ecs.revision", False, describe_mismatch(runs, expected), events)
    else:
        revision = Check("ecs.revision", True, f"the PRIMARY deployment runs {runs}, the revision this stack deployed")

    state = primary.get("rolloutState")
    reason = primary.get("rolloutStateReason")
    others = [f"{revision_of(str(d.get('taskDefinition', '')))} ({d.get('status', '?')}, "
              f"{d.get('runningCount', 0)} running)" for d in deployments if d is not primary and d.get("runningCount")]
    new_tasks = f"{primary.get('runningCount', 0)}/{primary.get('desiredCount', 0)} of its tasks running"
    failed_tasks = int(primary.get("failedTasks") or 0)
    if failed_tasks:
        new_tasks += f", {failed_tasks} failed"
    rollout_failed = state == "FAILED"
    if rollout_failed:
        detail = f"rollout of {runs} FAILED" + (f": {reason}" if reason else "")
        if others:
            detail += f"; still running: {', '.join(others)}"
        rollout = Check("ecs.rollout", False, detail, () if rolled_away else events)
    elif state == "COMPLETED":
        rollout = Check("ecs.rollout", True, f"rollout of {runs} COMPLETED")
    elif state is None and len(deployments) == 1:
        # rolloutState only exists with the circuit breaker (berth always enables it); without it,
        # a single deployment is the settled state.
        rollout = Check("ecs.rollout", True, f"rollout of {runs} settled (one deployment; no rolloutState)")
    else:
        shown_state = state or f"not settled ({len(deployments)} deployments)"
        detail = f"rollout of {runs} {shown_state}: {new_tasks}"
        if others:
            detail += f"; old: {', '.join(others)}"
        rollout = Check("ecs.rollout", False, detail)

    running, desired = int(service.get("runningCount") or 0), int(service.get("desiredCount") or 0)
    pending = int(service.get("pendingCount") or 0)
    tasks = Check("ecs.tasks", running == desired,
                  f"{running}/{desired} tasks running" + (f", {pending} pending" if pending else ""))
    target_check = evaluate_targets(targets, desired)

    checks = (revision, rollout, tasks, target_check)
    final = all(c.ok for c in checks) or rolled_away or rollout_failed
    progress = f"ecs: {runs} rollout {state or 'unknown'}, {running}/{desired} tasks running, {target_check.detail}"
    return Verdict(checks, final, progress)


# ---------------------------------------------------------------------------------------------
# Pure decisions: Elastic Beanstalk


def pick_environment(environments: Sequence[Mapping[str, Any]], application: str,
                     name: str) -> Mapping[str, Any] | None:
    # Filter again even though the request filters: a terminated namesake can still be listed for
    # a while, the live environment is the one that matters, and emulators (moto) ignore filters.
    same = [e for e in environments if e.get("EnvironmentName") == name
            and e.get("ApplicationName", application) == application]
    live = [e for e in same if e.get("Status") not in ("Terminating", "Terminated")]
    return (live or same or [None])[0]


def evaluate_beanstalk(env: Mapping[str, Any] | None, expected_version: str, *, application: str = "",
                       environment: str = "") -> Verdict:
    if env is None:
        where = f"{environment} of application {application}" if application else environment
        return Verdict((Check("beanstalk.environment", False, f"environment {where} not found"),), final=True)
    version = str(env.get("VersionLabel") or "")
    status = str(env.get("Status") or "unknown")
    health = str(env.get("Health") or "unknown")
    enhanced = env.get("HealthStatus")

    if version == expected_version:
        version_check = Check("beanstalk.version", True, f"runs version {version!r}, the one this stack deployed")
    else:
        version_check = Check("beanstalk.version", False,
                              f"runs version {version or '(none)'!r}, this stack deployed {expected_version!r}")
    status_check = Check("beanstalk.status", status == "Ready", f"Status {status}"
                         + ("" if status == "Ready" else " (expected Ready)"))
    healthy = health == "Green" or enhanced == "Ok"
    health_text = f"Health {health}" + (f", enhanced health {enhanced}" if enhanced else "")
    health_check = Check("beanstalk.health", healthy, health_text + ("" if healthy else " (expected Green or Ok)"))

    checks = (version_check, status_check, health_check)
    gone = status in ("Terminating", "Terminated")
    # A Ready environment on another version will not change by itself (a failed deploy was rolled
    # back or never applied); health may still recover, and a busy environment is still deploying.
    final = all(c.ok for c in checks) or gone or (status == "Ready" and not version_check.ok)
    progress = f"beanstalk: version {version!r}, Status {status}, {health_text}"
    return Verdict(checks, final, progress)


def pick_events(events: Sequence[Mapping[str, Any]], limit: int = BEANSTALK_EVENTS_SHOWN) -> tuple[str, ...]:
    """The events that explain a failure: warnings and errors first, else the latest ones."""
    problems = [e for e in events if e.get("Severity") in PROBLEM_SEVERITIES]
    chosen = (problems or list(events))[:limit]
    lines = []
    for e in chosen:
        when = e.get("EventDate")
        stamp = when.strftime("%Y-%m-%d %H:%M:%S") if hasattr(when, "strftime") else str(when or "")
        lines.append(f"{stamp} {e.get('Severity', '')} {e.get('Message', '')}".strip())
    return tuple(lines)


# ---------------------------------------------------------------------------------------------
# Waiting


def poll(observe: Callable[[], Verdict], timing: Timing, *, clock: Clock = time.monotonic,
         sleep: Sleep = time.sleep, progress: Progress = lambda _: None) -> Verdict:
    """Observe until the verdict is final or --timeout passes; the wait grows x1.5 up to 30 s."""
    start = clock()
    delay = timing.interval
    while True:
        verdict = observe()
        if verdict.final:
            return verdict
        elapsed = clock() - start
        remaining = timing.timeout - elapsed
        if remaining <= 0:
            note = f"; gave up after {elapsed:.1f} s (--timeout {timing.timeout:g})"
            return replace(verdict, final=True,
                           checks=tuple(c if c.ok else replace(c, detail=c.detail + note) for c in verdict.checks))
        wait = min(delay, remaining)
        progress(f"{verdict.progress}; next check in {wait:.1f} s ({elapsed:.0f}/{timing.timeout:g} s)")
        sleep(wait)
        delay = min(delay * 1.5, MAX_POLL_DELAY)


def aws_error(exc: Exception) -> str:
    """One line for an AWS error; botocore's text can carry an HTML body from a proxy or emulator."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{exc.operation_name} failed: {err.get('Code', '?')}: {err.get('Message', '')}".rstrip(": ")
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return first[:200].rstrip(":")


def observe_ecs(ecs: Any, elbv2: Any, deployed: Deployed) -> Verdict:
    try:
        answer = ecs.describe_services(cluster=deployed.cluster_name, services=[deployed.service_name])
        services = answer.get("services") or []
        targets = elbv2.describe_target_health(TargetGroupArn=deployed.target_group_arn)
    except AWS_ERRORS as exc:
        return Verdict((Check("ecs.service", False, aws_error(exc)),), final=True)
    service = services[0] if services else None
    return evaluate_ecs(service, targets.get("TargetHealthDescriptions") or [], deployed.task_definition_arn)


def observe_beanstalk(eb: Any, deployed: Deployed) -> Verdict:
    try:
        answer = eb.describe_environments(ApplicationName=deployed.application_name,
                                          EnvironmentNames=[deployed.environment_name], IncludeDeleted=False)
    except AWS_ERRORS as exc:
        return Verdict((Check("beanstalk.environment", False, aws_error(exc)),), final=True)
    env = pick_environment(answer.get("Environments") or [], deployed.application_name, deployed.environment_name)
    return evaluate_beanstalk(env, deployed.version_label, application=deployed.application_name,
                              environment=deployed.environment_name)


def recent_events(eb: Any, deployed: Deployed) -> tuple[str, ...]:
    try:
        answer = eb.describe_events(ApplicationName=deployed.application_name,
                                    EnvironmentName=deployed.environment_name, MaxRecords=25)
    except AWS_ERRORS as exc:
        return (f"recent events unavailable: {aws_error(exc)}",)
    return pick_events(answer.get("Events") or []) or ("no recent events",)


def verify_ecs(ecs: Any, elbv2: Any, deployed: Deployed, timing: Timing, **wait: Any) -> list[Check]:
    return list(poll(lambda: observe_ecs(ecs, elbv2, deployed), timing, **wait).checks)


def verify_beanstalk(eb: Any, deployed: Deployed, timing: Timing, **wait: Any) -> list[Check]:
    checks = list(poll(lambda: observe_beanstalk(eb, deployed), timing, **wait).checks)
    failed = next((i for i, c in enumerate(checks) if not c.ok), None)
    # Events explain a bad version, status or health; an environment that is missing (or an API
    # call that was refused) has none worth fetching.
    if failed is not None and checks[failed].name != "beanstalk.environment":
        checks[failed] = replace(checks[failed], context=recent_events(eb, deployed))
    return checks


# ---------------------------------------------------------------------------------------------
# Live probe


def shown_url(url: str) -> str:
    """The URL without any user:password@ part, so a credential in an address is never printed."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit(parts._replace(netloc=host))


def http_get(url: str, timeout: float) -> tuple[int | None, str]:
    """(status, reason) of one GET; status None when no HTTP answer came back."""
    request = urllib.request.Request(url, headers={"User-Agent": "berth-verify"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # follows redirects (http -> https)
            response.read(MAX_BODY)
            return response.status, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, f"HTTP {exc.code}"
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ConnectionRefusedError):
            return None, "connection refused"
        if isinstance(reason, socket.gaierror):
            return None, "the host name does not resolve"
        if isinstance(reason, TimeoutError):
            return None, f"no answer within {timeout:g} s"
        return None, str(reason)
    except TimeoutError:
        return None, f"no answer within {timeout:g} s"
    except (OSError, http.client.HTTPException) as exc:
        return None, str(exc) or type(exc).__name__


def probe(name: str, url: str, timing: Timing, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
          progress: Progress = lambda _: None,
          get: Callable[[str, float], tuple[int | None, str]] = http_get) -> Check:
    """GET until 200 or --probe-timeout; retries start at min(--interval, 1 s) and double up to 8 s."""
    start = clock()
    delay = min(timing.interval, 1.0)
    attempt = 0
    while True:
        attempt += 1
        remaining = timing.probe_timeout - (clock() - start)
        sent = clock()
        status, why = get(url, max(0.5, min(REQUEST_TIMEOUT, remaining)))
        latency_ms = (clock() - sent) * 1000
        if status == 200:
            tries = f" (attempt {attempt})" if attempt > 1 else ""
            return Check(name, True, f"GET {shown_url(url)} -> 200 in {latency_ms:.0f} ms{tries}")
        elapsed = clock() - start
        if elapsed + delay > timing.probe_timeout:
            attempts = f"{attempt} attempt" + ("s" if attempt > 1 else "")
            return Check(name, False, f"GET {shown_url(url)} -> {why} ({attempts} in {elapsed:.1f} s; expected 200)")
        progress(f"probe: GET {shown_url(url)} -> {why}; retry in {delay:.1f} s")
        sleep(delay)
        delay = min(delay * 2, MAX_PROBE_DELAY)


def verify_probe(deployed: Deployed, timing: Timing, **wait: Any) -> list[Check]:
    checks = [probe("probe.url", deployed.url, timing, **wait)]
    if deployed.health_url.rstrip("/") != deployed.url.rstrip("/"):
        checks.append(probe("probe.health", deployed.health_url, timing, **wait))
    return checks


# ---------------------------------------------------------------------------------------------
# AWS session and the whole run


def aws_session(region: str | None) -> boto3.session.Session:
    """A session on the outputs' region (else the default chain's); fails early without credentials."""
    try:
        session = boto3.session.Session(region_name=region) if region else boto3.session.Session()
        if not session.region_name:
            raise InputError("no AWS region: the outputs have no `region` and none is configured "
                             "(AWS_REGION or ~/.aws/config)")
        if session.get_credentials() is None:
            raise InputError("no AWS credentials found (environment, ~/.aws, SSO or an instance role)")
    except BotoCoreError as exc:  # e.g. a named profile that does not exist, an expired SSO token
        raise InputError(f"AWS credentials: {aws_error(exc)}") from None
    return session


def client_config() -> Config:
    # Short connect timeout: an unreachable endpoint should fail a check, not hang for a minute.
    # Retries are left to the standard chain (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, ~/.aws/config).
    return Config(connect_timeout=5, read_timeout=30, user_agent_extra="berth-verify")


def verify(deployed: Deployed, session: boto3.session.Session, timing: Timing, **wait: Any) -> list[Check]:
    config = client_config()
    if deployed.kind == "ecs":
        checks = verify_ecs(session.client("ecs", config=config), session.client("elbv2", config=config),
                            deployed, timing, **wait)
    else:
        checks = verify_beanstalk(session.client("elasticbeanstalk", config=config), deployed, timing, **wait)
    return checks + verify_probe(deployed, timing, **wait)


def headline(deployed: Deployed, region: str | None) -> str:
    if deployed.kind == "ecs":
        return (f"berth verify: ecs service {deployed.service_name} on cluster {deployed.cluster_name} ({region}); "
                f"this stack deployed {revision_of(deployed.task_definition_arn)}")
    return (f"berth verify: beanstalk environment {deployed.environment_name} of {deployed.application_name} "
            f"({region}); this stack deployed version {deployed.version_label!r}")


def render_text(deployed: Deployed, region: str | None, checks: Sequence[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [headline(deployed, region)]
    for c in checks:
        lines.append(f"{'PASS' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.detail}")
        lines.extend(f"      {' ' * width}  | {line}" for line in c.context)
    failed = sum(not c.ok for c in checks)
    lines.append(f"verified: all {len(checks)} checks passed" if not failed
                 else f"NOT verified: {failed} of {len(checks)} checks failed")
    return "\n".join(lines)


def render_json(deployed: Deployed, region: str | None, checks: Sequence[Check]) -> str:
    report = {"ok": all(c.ok for c in checks), "service_kind": deployed.kind, "region": region,
              "checks": [c.to_json() for c in checks]}
    return json.dumps(report, indent=2)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of seconds, 0 or more")
    return value


def _stderr(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.verify",
                                     description="Verify the rollout, health and live URL of a deployed berth stack.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--outputs", metavar="FILE",
                        help="JSON of `pulumi stack output --json --show-secrets` (- reads stdin)")
    source.add_argument("--stack", metavar="NAME", help="read the outputs with the Pulumi CLI")
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                        help=f"seconds to wait for a rollout in progress (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--interval", type=_seconds, default=DEFAULT_INTERVAL,
                        help=f"first wait between polls, growing x1.5 up to {MAX_POLL_DELAY:g} s "
                             f"(default {DEFAULT_INTERVAL:g})")
    parser.add_argument("--probe-timeout", type=_seconds, default=DEFAULT_PROBE_TIMEOUT,
                        help=f"seconds the live probe retries each URL (default {DEFAULT_PROBE_TIMEOUT:g})")
    args = parser.parse_args(argv)
    timing = Timing(timeout=args.timeout, interval=max(args.interval, 0.01), probe_timeout=args.probe_timeout)

    try:
        raw = read_outputs_file(args.outputs) if args.outputs else outputs_from_stack(args.stack)
        deployed = parse_outputs(raw)
        session = aws_session(deployed.region)
        checks = verify(deployed, session, timing, progress=_stderr)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug here, not a deployment problem: one line, like tools.plan
        if os.environ.get("BERTH_DEBUG"):
            traceback.print_exc()
        print(f"error: the verifier failed: {type(exc).__name__}: {exc} (BERTH_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 1
    region = session.region_name
    print(render_json(deployed, region, checks) if args.json else render_text(deployed, region, checks))
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
