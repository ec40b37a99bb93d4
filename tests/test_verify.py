"""`python -m tools.verify` against a real AWS API emulator, a real HTTP server, and its decisions.

One `moto_server` process serves the whole module (started on a free 127.0.0.1 port, stopped in
the fixture's teardown); each test creates its own cluster/service/target group/environment with
boto3 under unique names and runs the verifier as a subprocess with AWS_ENDPOINT_URL pointing at it.

What moto 5.2.5 lacks, and how those branches are covered instead (botocore's Stubber, whose
responses are validated against the real API model, driving the same functions in-process):
- ECS: a deployment's runningCount comes from the server's MOTO_ECS_SERVICE_RUNNING (read when a
  service is created; 1 here), so desiredCount 1 is COMPLETED and desiredCount 2 stays IN_PROGRESS
  forever. moto never reports rolloutState FAILED nor service events -> Stubber.
- ELBv2: every registered target is `healthy` (ip targets included); no unhealthy/draining -> Stubber.
- Elastic Beanstalk: VersionLabel is always "1", Health always Grey (HealthStatus "No Data"), and
  DescribeEvents is not implemented (HTTP 500). Version mismatch runs against moto; Ready/Green,
  enhanced Ok, waiting through Updating and the events that explain a failure -> Stubber.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import boto3
import moto_server
import pytest
from botocore.stub import Stubber

from tools import verify
from tools.verify import Check, Deployed, InputError, Timing, Verdict

ROOT = Path(__file__).resolve().parents[1]
REGION = moto_server.REGION
ACCOUNT = "123456789012"
FAST = ["--timeout", "5", "--interval", "0.1", "--probe-timeout", "0.5"]
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Fixtures: the emulator, a small web app, a port that refuses connections


@pytest.fixture(scope="module")
def moto(tmp_path_factory) -> Iterator[moto_server.MotoServer]:
    server = moto_server.start(tmp_path_factory.mktemp("moto"), env={"MOTO_ECS_SERVICE_RUNNING": "1"})
    try:
        yield server
    finally:
        server.stop()
        assert server.process.poll() is not None  # the server this fixture started is gone


class _App(BaseHTTPRequestHandler):
    """200 everywhere, 500 under /fail, and /flaky-* answers 503 twice per path before 200."""

    hits: ClassVar[dict[str, int]] = {}

    def do_GET(self) -> None:
        if self.path.startswith("/fail"):
            status = 500
        elif self.path.startswith("/flaky"):
            self.hits[self.path] = self.hits.get(self.path, 0) + 1
            status = 503 if self.hits[self.path] <= 2 else 200
        else:
            status = 200
        body = b"ok\n" if status == 200 else b"boom\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def refused_url() -> Iterator[str]:
    # Bound but not listening: connections are refused, and no other process can take the port.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


# ---------------------------------------------------------------------------------------------
# Helpers: state in the emulator, the verifier as a subprocess


def ecs_stack(moto: moto_server.MotoServer, url: str, *, desired: int = 1, service_revision: int = 1,
              deployed_revision: int = 1, targets: int = 1) -> dict[str, Any]:
    """What `pulumi up` leaves behind for an ECS stack, and the stack outputs that describe it."""
    uid = uuid.uuid4().hex[:8]
    ecs, elbv2, ec2 = moto.client("ecs"), moto.client("elbv2"), moto.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    sg = ec2.create_security_group(GroupName=f"task-{uid}", Description="task", VpcId=vpc)["GroupId"]
    cluster = f"catnip-web-cluster-{uid}"
    ecs.create_cluster(clusterName=cluster)
    family = f"catnip-{uid}"
    arns = [ecs.register_task_definition(
        family=family, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "catnip", "image": f"catnip@sha256:{n:064x}", "essential": True,
                               "portMappings": [{"containerPort": 5000, "protocol": "tcp"}]}],
    )["taskDefinition"]["taskDefinitionArn"] for n in range(max(service_revision, deployed_revision))]
    tg = elbv2.create_target_group(Name=f"catnip-tg-{uid}", Protocol="HTTP", Port=5000, VpcId=vpc, TargetType="ip",
                                   HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
    service = f"catnip-web-service-{uid}"
    ecs.create_service(
        cluster=cluster, serviceName=service, taskDefinition=arns[service_revision - 1], desiredCount=desired,
        launchType="FARGATE",
        loadBalancers=[{"targetGroupArn": tg, "containerName": "catnip", "containerPort": 5000}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets[:2], "securityGroups": [sg],
                                                      "assignPublicIp": "ENABLED"}},
    )
    if targets:  # what ECS does when a task starts behind an ALB
        elbv2.register_targets(TargetGroupArn=tg,
                               Targets=[{"Id": f"10.0.{i}.10", "Port": 5000} for i in range(targets)])
    return {
        "service_kind": "ecs", "url": url, "health_check_path": "/health", "region": REGION,
        "image_ref": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{family}@sha256:{0:064x}",
        "cluster_name": cluster, "service_name": service, "task_definition_arn": arns[deployed_revision - 1],
        "target_group_arn": tg, "log_group_name": f"/berth/catnip/{uid}",
    }


def run_verify(moto: moto_server.MotoServer, outputs: dict[str, Any], tmp_path: Path,
               *args: str) -> tuple[subprocess.CompletedProcess, float]:
    path = tmp_path / f"outputs-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(outputs))
    start = time.perf_counter()
    # AWS_MAX_ATTEMPTS=1: moto answers unimplemented APIs (DescribeEvents) with HTTP 500, which
    # botocore would otherwise retry with several seconds of backoff.
    result = subprocess.run([sys.executable, "-m", "tools.verify", "--outputs", str(path), *args], cwd=ROOT,
                            env=moto.env(AWS_MAX_ATTEMPTS="1"), capture_output=True, text=True, timeout=60)
    return result, time.perf_counter() - start


def report_of(result: subprocess.CompletedProcess) -> tuple[dict, dict[str, dict]]:
    report = json.loads(result.stdout)
    return report, {c["name"]: c for c in report["checks"]}


def family_revision(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


# ---------------------------------------------------------------------------------------------
# ECS against moto_server


@pytest.fixture(scope="module")
def healthy(moto, web, tmp_path_factory) -> tuple[dict, subprocess.CompletedProcess]:
    outputs = ecs_stack(moto, web + "/", desired=1)
    outputs["db_password"] = "hunter2-plain-secret"  # what --show-secrets would reveal; must never be echoed
    result, _ = run_verify(moto, outputs, tmp_path_factory.mktemp("healthy"), "--json", *FAST)
    return outputs, result


def test_healthy_rollout_passes(healthy):
    outputs, result = healthy
    assert result.returncode == 0, result.stdout + result.stderr
    report, checks = report_of(result)
    assert report["ok"] is True and report["service_kind"] == "ecs" and report["region"] == REGION
    assert list(checks) == ["ecs.revision", "ecs.rollout", "ecs.tasks", "ecs.targets", "probe.url", "probe.health"]
    revision = family_revision(outputs["task_definition_arn"])
    assert checks["ecs.revision"]["detail"] == (f"the PRIMARY deployment runs {revision}, "
                                                "the revision this stack deployed")
    assert checks["ecs.rollout"]["detail"] == f"rollout of {revision} COMPLETED"
    assert checks["ecs.tasks"]["detail"] == "1/1 tasks running"
    assert checks["ecs.targets"]["detail"] == "1/1 targets healthy"
    assert checks["probe.health"]["detail"].startswith(f"GET {outputs['url'].rstrip('/')}/health -> 200 in ")
    assert checks["probe.health"]["detail"].endswith(" ms")
    assert all(set(c) == {"name", "ok", "detail", "context"} for c in report["checks"])


def test_nothing_secret_is_printed(healthy):
    _, result = healthy
    everything = result.stdout + result.stderr
    assert "hunter2-plain-secret" not in everything
    assert moto_server.FAKE_SECRET not in everything


def test_human_output_is_one_line_per_check(moto, web, tmp_path):
    outputs = ecs_stack(moto, web, desired=1)
    result, _ = run_verify(moto, outputs, tmp_path, *FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"berth verify: ecs service {outputs['service_name']} on cluster "
                               f"{outputs['cluster_name']} ({REGION}); this stack deployed ")
    assert [line.split()[:2] for line in lines[1:-1]] == [
        ["PASS", "ecs.revision"], ["PASS", "ecs.rollout"], ["PASS", "ecs.tasks"], ["PASS", "ecs.targets"],
        ["PASS", "probe.url"], ["PASS", "probe.health"]]
    assert lines[-1] == "verified: all 6 checks passed"


def test_rollback_to_previous_revision_fails_naming_both(moto, web, tmp_path):
    # After a circuit-breaker rollback ECS is steady again, on the old revision: moto's service runs
    # revision 1 (COMPLETED, 1/1, healthy target) while this stack deployed revision 2.
    outputs = ecs_stack(moto, web, service_revision=1, deployed_revision=2)
    result, seconds = run_verify(moto, outputs, tmp_path, "--json", "--timeout", "30", "--interval", "0.1",
                                 "--probe-timeout", "0.5")
    assert result.returncode == 1
    report, checks = report_of(result)
    assert report["ok"] is False
    family = family_revision(outputs["task_definition_arn"]).rsplit(":", 1)[0]
    assert checks["ecs.revision"] == {
        "name": "ecs.revision", "ok": False, "context": [],
        "detail": f"rolled back: the PRIMARY deployment runs {family}:1, this stack deployed {family}:2"}
    assert checks["ecs.rollout"]["detail"] == f"rollout of {family}:1 COMPLETED"
    assert seconds < 15  # a rollback is final: no waiting for the 30 s timeout


def test_rollout_in_progress_past_the_timeout_fails(moto, web, tmp_path):
    outputs = ecs_stack(moto, web, desired=2, targets=1)  # moto runs 1 task of 2: IN_PROGRESS forever
    result, seconds = run_verify(moto, outputs, tmp_path, "--json", "--timeout", "0.5", "--interval", "0.1",
                                 "--probe-timeout", "0.5")
    assert result.returncode == 1
    _, checks = report_of(result)
    revision = family_revision(outputs["task_definition_arn"])
    rollout = checks["ecs.rollout"]["detail"]
    assert rollout.startswith(f"rollout of {revision} IN_PROGRESS: 1/2 of its tasks running; gave up after ")
    assert rollout.endswith("(--timeout 0.5)")
    assert checks["ecs.tasks"]["ok"] is False
    assert checks["ecs.tasks"]["detail"].startswith("1/2 tasks running, 1 pending")
    assert checks["ecs.revision"]["ok"] is True
    assert "... ecs: " in result.stderr and "rollout IN_PROGRESS, 1/2 tasks running" in result.stderr  # progress
    assert 0.5 <= seconds < 10


def test_empty_target_group_fails(moto, web, tmp_path):
    outputs = ecs_stack(moto, web, targets=0)
    result, _ = run_verify(moto, outputs, tmp_path, "--json", "--timeout", "0.3", "--interval", "0.1",
                           "--probe-timeout", "0.5")
    assert result.returncode == 1
    _, checks = report_of(result)
    assert checks["ecs.targets"]["detail"].startswith("no targets registered in the target group; gave up after")
    assert checks["ecs.rollout"]["ok"] is True


def test_missing_service_fails_at_once(moto, web, tmp_path):
    outputs = ecs_stack(moto, web)
    outputs["service_name"] = "no-such-service"
    result, _ = run_verify(moto, outputs, tmp_path, "--json", *FAST)
    assert result.returncode == 1
    _, checks = report_of(result)
    assert checks["ecs.service"] == {"name": "ecs.service", "ok": False, "detail": "the service is not found",
                                     "context": []}


def test_missing_cluster_reports_the_aws_error(moto, web, tmp_path):
    outputs = ecs_stack(moto, web)
    outputs["cluster_name"] = "no-such-cluster"
    result, _ = run_verify(moto, outputs, tmp_path, "--json", *FAST)
    assert result.returncode == 1
    _, checks = report_of(result)
    assert checks["ecs.service"]["detail"].startswith("DescribeServices failed: ClusterNotFoundException")


# ---------------------------------------------------------------------------------------------
# Live probe


def test_url_returning_500_fails(moto, web, tmp_path):
    outputs = ecs_stack(moto, web + "/fail")
    result, _ = run_verify(moto, outputs, tmp_path, "--json", *FAST)
    assert result.returncode == 1
    report, checks = report_of(result)
    assert [c["name"] for c in report["checks"] if not c["ok"]] == ["probe.url", "probe.health"]
    assert checks["probe.url"]["detail"].startswith(f"GET {web}/fail -> HTTP 500 (")
    assert checks["probe.health"]["detail"].startswith(f"GET {web}/fail/health -> HTTP 500 (")
    assert checks["probe.url"]["detail"].endswith("; expected 200)")
    assert "retry in" in result.stderr  # it did retry


def test_url_refusing_connections_fails(moto, web, refused_url, tmp_path):
    outputs = ecs_stack(moto, refused_url)
    result, seconds = run_verify(moto, outputs, tmp_path, "--json", *FAST)
    assert result.returncode == 1
    _, checks = report_of(result)
    assert checks["probe.url"]["ok"] is False
    assert checks["probe.url"]["detail"].startswith(f"GET {refused_url} -> connection refused (")
    assert checks["ecs.revision"]["ok"] is True
    assert seconds < 10


def test_probe_retries_until_200_and_reports_latency(web):
    url = f"{web}/flaky-{uuid.uuid4().hex[:6]}"  # 503, 503, then 200
    check = verify.probe("probe.url", url, Timing(probe_timeout=10, interval=0.05))
    assert check.ok, check.detail
    assert check.detail.startswith(f"GET {url} -> 200 in ") and check.detail.endswith(" ms (attempt 3)")


def test_probe_gives_up_at_the_probe_timeout():
    clock = FakeTime()
    calls: list[float] = []

    def get(url: str, timeout: float) -> tuple[int | None, str]:
        calls.append(timeout)
        return 502, "HTTP 502"

    check = verify.probe("probe.url", "http://app.example", Timing(probe_timeout=10, interval=5),
                         clock=clock.clock, sleep=clock.sleep, get=get)
    assert check == Check("probe.url", False, "GET http://app.example -> HTTP 502 (4 attempts in 7.0 s; expected 200)")
    assert clock.sleeps == [1.0, 2.0, 4.0]  # starts at min(interval, 1 s), doubles
    assert calls[0] == 10.0 and calls[-1] == 3.0  # the request timeout shrinks with what is left


def test_shown_url_drops_credentials():
    assert verify.shown_url("https://user:pa55@app.example/health") == "https://app.example/health"


# ---------------------------------------------------------------------------------------------
# Elastic Beanstalk: moto for the version mismatch, Stubber for what moto cannot report


def beanstalk_outputs(url: str, app: str, env: str, version: str) -> dict[str, Any]:
    return {"service_kind": "beanstalk", "url": url, "health_check_path": "/health", "region": REGION,
            "application_name": app, "environment_name": env, "version_label": version}


def test_beanstalk_version_mismatch_fails(moto, web, tmp_path):
    uid = uuid.uuid4().hex[:8]
    eb = moto.client("elasticbeanstalk")
    eb.create_application(ApplicationName=f"catnip-{uid}")
    eb.create_environment(ApplicationName=f"catnip-{uid}", EnvironmentName=f"catnip-dev-{uid}",
                          SolutionStackName="64bit Amazon Linux 2023 v4.4.0 running Docker")
    # moto reports VersionLabel "1" for every environment: the old version, from this stack's view.
    outputs = beanstalk_outputs(web, f"catnip-{uid}", f"catnip-dev-{uid}", f"catnip-dev-{uid}-v2")
    result, seconds = run_verify(moto, outputs, tmp_path, "--json", "--timeout", "30", "--interval", "0.1",
                                 "--probe-timeout", "0.5")
    assert result.returncode == 1, result.stderr
    report, checks = report_of(result)
    assert report["service_kind"] == "beanstalk"
    assert checks["beanstalk.version"]["detail"] == f"runs version '1', this stack deployed 'catnip-dev-{uid}-v2'"
    assert checks["beanstalk.status"] == {"name": "beanstalk.status", "ok": True, "detail": "Status Ready",
                                          "context": []}
    # moto does not implement DescribeEvents: the report says so instead of crashing.
    assert checks["beanstalk.version"]["context"][0].startswith("recent events unavailable: ")
    assert checks["probe.url"]["ok"] is True
    assert seconds < 15  # Ready on another version is final: no waiting for the 30 s timeout


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x",
                                   region_name=REGION).client(service, endpoint_url="http://127.0.0.1:9")
    return client, Stubber(client)


def eb_env(app: str, env: str, version: str, status: str = "Ready", health: str = "Green",
           health_status: str | None = None) -> dict[str, Any]:
    out = {"ApplicationName": app, "EnvironmentName": env, "VersionLabel": version, "Status": status,
           "Health": health, "CNAME": f"{env}.{REGION}.elasticbeanstalk.com"}
    if health_status:
        out["HealthStatus"] = health_status
    return out


EB_DEPLOYED = Deployed(kind="beanstalk", url="http://catnip-dev.example", health_check_path="/health",
                       region=REGION, application_name="catnip", environment_name="catnip-dev",
                       version_label="catnip-dev-v2")
EB_QUERY = {"ApplicationName": "catnip", "EnvironmentNames": ["catnip-dev"], "IncludeDeleted": False}


def test_beanstalk_ready_green_on_the_expected_version_passes(web, tmp_path, monkeypatch, capsys):
    eb, stub = stubbed("elasticbeanstalk")
    stub.add_response("describe_environments",
                      {"Environments": [eb_env("catnip", "catnip-dev", "catnip-dev-v2")]}, EB_QUERY)

    class Session:  # the real CLI path (main), with the stubbed client instead of AWS
        region_name = REGION

        def client(self, name: str, config: Any = None) -> Any:
            assert name == "elasticbeanstalk"
            return eb

    monkeypatch.setattr(verify, "aws_session", lambda region: Session())
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(beanstalk_outputs(web, "catnip", "catnip-dev", "catnip-dev-v2")))
    with stub:
        code = verify.main(["--outputs", str(outputs), "--json", "--probe-timeout", "2"])
        stub.assert_no_pending_responses()  # and no DescribeEvents: nothing failed
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["ok"] is True
    assert [(c["name"], c["ok"], c["detail"]) for c in report["checks"][:3]] == [
        ("beanstalk.version", True, "runs version 'catnip-dev-v2', the one this stack deployed"),
        ("beanstalk.status", True, "Status Ready"),
        ("beanstalk.health", True, "Health Green")]


def test_beanstalk_enhanced_health_ok_passes_and_updating_is_waited_for():
    eb, stub = stubbed("elasticbeanstalk")
    stub.add_response("describe_environments", {"Environments": [
        eb_env("catnip", "catnip-dev", "catnip-dev-v1", status="Updating", health="Grey", health_status="Pending")]},
        EB_QUERY)
    stub.add_response("describe_environments", {"Environments": [
        eb_env("catnip", "catnip-dev", "catnip-dev-v2", health="Yellow", health_status="Ok")]}, EB_QUERY)
    clock = FakeTime()
    with stub:
        checks = verify.verify_beanstalk(eb, EB_DEPLOYED, Timing(timeout=60, interval=5),
                                         clock=clock.clock, sleep=clock.sleep)
        stub.assert_no_pending_responses()
    assert all(c.ok for c in checks), checks
    assert checks[2].detail == "Health Yellow, enhanced health Ok"
    assert clock.sleeps == [5]


def test_beanstalk_red_health_reports_the_events_that_explain_it():
    eb, stub = stubbed("elasticbeanstalk")
    stub.add_response("describe_environments", {"Environments": [
        eb_env("catnip", "catnip-dev", "catnip-dev-v2", health="Red", health_status="Severe")]}, EB_QUERY)
    stub.add_response("describe_events", {"Events": [
        {"EventDate": NOW, "Severity": "INFO", "Message": "Environment update completed successfully."},
        {"EventDate": NOW, "Severity": "ERROR", "Message": "Container exited: exec format error"},
        {"EventDate": NOW, "Severity": "WARN", "Message": "Environment health has transitioned from Ok to Severe."},
    ]}, {"ApplicationName": "catnip", "EnvironmentName": "catnip-dev", "MaxRecords": 25})
    with stub:
        checks = verify.verify_beanstalk(eb, EB_DEPLOYED, Timing(timeout=0, interval=1))
        stub.assert_no_pending_responses()
    by_name = {c.name: c for c in checks}
    assert by_name["beanstalk.version"].ok and by_name["beanstalk.status"].ok
    health = by_name["beanstalk.health"]
    assert not health.ok
    assert health.detail.startswith("Health Red, enhanced health Severe (expected Green or Ok); gave up after")
    assert health.context == ("2025-01-02 03:04:05 ERROR Container exited: exec format error",
                              "2025-01-02 03:04:05 WARN Environment health has transitioned from Ok to Severe.")


def test_beanstalk_environment_not_found_is_final():
    verdict = verify.evaluate_beanstalk(None, "v2", application="catnip", environment="catnip-dev")
    assert verdict.final and verdict.checks == (
        Check("beanstalk.environment", False, "environment catnip-dev of application catnip not found"),)


def test_pick_environment_prefers_the_live_namesake_and_ignores_others():
    envs = [eb_env("catnip", "other-env", "v9"), eb_env("catnip", "catnip-dev", "v1", status="Terminated"),
            eb_env("catnip", "catnip-dev", "v2")]
    assert verify.pick_environment(envs, "catnip", "catnip-dev")["VersionLabel"] == "v2"
    assert verify.pick_environment(envs[:1], "catnip", "catnip-dev") is None


# ---------------------------------------------------------------------------------------------
# ECS branches moto cannot produce: Stubber through the same observe/poll code


ECS_TD = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/catnip-dev:"
TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/catnip-web-tg/69e1c1b269e1c1b2"
ECS_DEPLOYED = Deployed(kind="ecs", url="http://alb.example", health_check_path="/health", region=REGION,
                        cluster_name="catnip-cluster", service_name="catnip-service",
                        task_definition_arn=ECS_TD + "2", target_group_arn=TG)


def deployment(revision: int, status: str = "PRIMARY", state: str | None = "COMPLETED", running: int = 1,
               desired: int = 1, **extra: Any) -> dict[str, Any]:
    out = {"id": f"ecs-svc/{revision}{status}", "status": status, "taskDefinition": ECS_TD + str(revision),
           "desiredCount": desired, "runningCount": running, "pendingCount": max(desired - running, 0),
           "createdAt": NOW, "updatedAt": NOW, **extra}
    if state:
        out["rolloutState"] = state
    return out


def service(*deployments: dict[str, Any], running: int = 1, desired: int = 1, events: tuple[str, ...] = (),
            status: str = "ACTIVE") -> dict[str, Any]:
    return {"serviceName": "catnip-service", "status": status, "runningCount": running, "desiredCount": desired,
            "pendingCount": max(desired - running, 0), "deployments": list(deployments),
            "events": [{"id": str(i), "createdAt": NOW, "message": m} for i, m in enumerate(events)]}


def target(state: str, ip: str = "10.0.1.23", reason: str | None = None) -> dict[str, Any]:
    health: dict[str, Any] = {"State": state}
    if reason:
        health["Reason"] = reason
    return {"Target": {"Id": ip, "Port": 5000}, "TargetHealth": health}


def stub_ecs(answers: list[tuple[dict, list[dict]]]) -> tuple[Any, Any, Stubber, Stubber]:
    ecs, ecs_stub = stubbed("ecs")
    elbv2, elb_stub = stubbed("elbv2")
    for svc, targets in answers:
        ecs_stub.add_response("describe_services", {"services": [svc], "failures": []},
                              {"cluster": "catnip-cluster", "services": ["catnip-service"]})
        elb_stub.add_response("describe_target_health", {"TargetHealthDescriptions": targets},
                              {"TargetGroupArn": TG})
    return ecs, elbv2, ecs_stub, elb_stub


def test_rollout_failed_by_the_circuit_breaker_fails_at_once_naming_both_revisions():
    failed = service(
        deployment(2, state="FAILED", running=0, failedTasks=3,
                   rolloutStateReason="ECS deployment circuit breaker: tasks failed to start."),
        deployment(1, status="ACTIVE", running=1),
        events=("(service catnip-service) (deployment ecs-svc/2PRIMARY) deployment failed: tasks failed to start.",))
    ecs, elbv2, ecs_stub, elb_stub = stub_ecs([(failed, [target("healthy")])])
    clock = FakeTime()
    with ecs_stub, elb_stub:
        checks = verify.verify_ecs(ecs, elbv2, ECS_DEPLOYED, Timing(timeout=600, interval=5),
                                   clock=clock.clock, sleep=clock.sleep)
    by_name = {c.name: c for c in checks}
    assert clock.sleeps == []  # FAILED is final
    assert by_name["ecs.rollout"].detail == ("rollout of catnip-dev:2 FAILED: ECS deployment circuit breaker: tasks "
                                             "failed to start.; still running: catnip-dev:1 (ACTIVE, 1 running)")
    assert by_name["ecs.rollout"].context == (
        "(service catnip-service) (deployment ecs-svc/2PRIMARY) deployment failed: tasks failed to start.",)
    assert by_name["ecs.revision"].ok


def test_unhealthy_target_is_polled_until_the_timeout():
    completed = service(deployment(2))
    sick = [target("unhealthy", reason="Target.ResponseCodeMismatch")]
    ecs, elbv2, ecs_stub, elb_stub = stub_ecs([(completed, sick)] * 3)
    clock = FakeTime()
    with ecs_stub, elb_stub:
        checks = verify.verify_ecs(ecs, elbv2, ECS_DEPLOYED, Timing(timeout=10, interval=5),
                                   clock=clock.clock, sleep=clock.sleep)
        ecs_stub.assert_no_pending_responses()
    assert clock.sleeps == [5, 5]  # 5, then 7.5 clipped to what is left of the 10 s
    by_name = {c.name: c for c in checks}
    assert by_name["ecs.targets"].detail == ("1 of 1 targets not healthy: 10.0.1.23:5000 unhealthy "
                                             "(Target.ResponseCodeMismatch); gave up after 10.0 s (--timeout 10)")
    assert by_name["ecs.rollout"].ok and by_name["ecs.tasks"].ok


def test_draining_old_target_is_waited_out():
    ecs, elbv2, ecs_stub, elb_stub = stub_ecs([
        (service(deployment(2)),
         [target("healthy"), target("draining", ip="10.0.2.9", reason="Target.DeregistrationInProgress")]),
        (service(deployment(2)), [target("healthy")]),
    ])
    clock = FakeTime()
    lines: list[str] = []
    with ecs_stub, elb_stub:
        checks = verify.verify_ecs(ecs, elbv2, ECS_DEPLOYED, Timing(timeout=60, interval=2),
                                   clock=clock.clock, sleep=clock.sleep, progress=lines.append)
    assert all(c.ok for c in checks) and clock.sleeps == [2]
    assert lines == ["ecs: catnip-dev:2 rollout COMPLETED, 1/1 tasks running, 1 of 2 targets not healthy: "
                     "10.0.2.9:5000 draining (Target.DeregistrationInProgress); next check in 2.0 s (0/60 s)"]


# ---------------------------------------------------------------------------------------------
# Pure decisions


def test_evaluate_ecs_in_progress_is_not_final():
    verdict = verify.evaluate_ecs(
        service(deployment(2, state="IN_PROGRESS", running=0), deployment(1, status="ACTIVE"), running=1, desired=1),
        [target("healthy")], ECS_TD + "2")
    assert not verdict.final and not verdict.ok
    assert verdict.checks[1] == Check("ecs.rollout", False, "rollout of catnip-dev:2 IN_PROGRESS: 0/1 of its tasks "
                                      "running; old: catnip-dev:1 (ACTIVE, 1 running)")


def test_evaluate_ecs_rollback_in_progress_is_already_a_failure():
    # While the circuit breaker rolls back, the PRIMARY deployment is the old revision again.
    verdict = verify.evaluate_ecs(
        service(deployment(1, state="IN_PROGRESS", running=0),
                deployment(2, status="ACTIVE", state="FAILED", running=0), running=0,
                events=("(service catnip-service) rolling back to deployment ecs-svc/1.",)),
        [], ECS_TD + "2")
    assert verdict.final
    assert verdict.checks[0] == Check(
        "ecs.revision", False,
        "rolled back: the PRIMARY deployment runs catnip-dev:1, this stack deployed catnip-dev:2",
        ("(service catnip-service) rolling back to deployment ecs-svc/1.",))


@pytest.mark.parametrize(("runs", "expected", "message"), [
    ("catnip-dev:3", "catnip-dev:2", "the PRIMARY deployment runs catnip-dev:3, newer than catnip-dev:2 that this "
                                     "stack deployed (another deploy replaced it)"),
    ("other:7", "catnip-dev:2", "the PRIMARY deployment runs other:7, not catnip-dev:2 that this stack deployed"),
    ("catnip-dev:9", "catnip-dev:10", "rolled back: the PRIMARY deployment runs catnip-dev:9, this stack deployed "
                                      "catnip-dev:10"),  # numeric, not string, comparison
])
def test_describe_mismatch(runs, expected, message):
    assert verify.describe_mismatch(runs, expected) == message


def test_evaluate_ecs_without_rollout_state_accepts_one_settled_deployment():
    verdict = verify.evaluate_ecs(service(deployment(2, state=None)), [target("healthy")], ECS_TD + "2")
    assert verdict.ok and verdict.final
    two = verify.evaluate_ecs(service(deployment(2, state=None), deployment(1, status="ACTIVE", state=None)),
                              [target("healthy")], ECS_TD + "2")
    assert not two.final and two.checks[1].detail.startswith("rollout of catnip-dev:2 not settled (2 deployments)")


@pytest.mark.parametrize(("svc", "detail"), [(None, "the service is not found"),
                                             (service(deployment(2), status="DRAINING"),
                                              "the service is DRAINING, not ACTIVE")])
def test_evaluate_ecs_missing_or_inactive_service_is_final(svc, detail):
    assert verify.evaluate_ecs(svc, [], ECS_TD + "2") == Verdict((Check("ecs.service", False, detail),), final=True)


def test_evaluate_targets():
    assert verify.evaluate_targets([], desired=0) == Check("ecs.targets", True,
                                                           "no targets registered (desired count 0)")
    assert not verify.evaluate_targets([], desired=1).ok
    many = [target("unhealthy", ip=f"10.0.0.{i}", reason="Target.Timeout") for i in range(5)]
    assert verify.evaluate_targets(many, desired=5).detail.endswith("10.0.0.2:5000 unhealthy (Target.Timeout), "
                                                                    "and 2 more")


def test_poll_backs_off_x1_5_up_to_30_s_and_stops_at_the_timeout():
    clock = FakeTime()
    waiting = Verdict((Check("ecs.rollout", False, "IN_PROGRESS"),), final=False, progress="busy")
    result = verify.poll(lambda: waiting, Timing(timeout=120, interval=10), clock=clock.clock, sleep=clock.sleep)
    assert clock.sleeps == [10, 15, 22.5, 30, 30, 12.5]
    assert result.final and result.checks[0].detail == "IN_PROGRESS; gave up after 120.0 s (--timeout 120)"


def test_pick_events_falls_back_to_the_latest_when_nothing_is_wrong():
    events = [{"EventDate": NOW, "Severity": "INFO", "Message": f"m{i}"} for i in range(8)]
    assert verify.pick_events(events) == tuple(f"2025-01-02 03:04:05 INFO m{i}" for i in range(5))


# ---------------------------------------------------------------------------------------------
# Input handling: exit 2, one line, no traceback


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "is not JSON (line 1, column 2)"),
    ('{"service_kind": "lambda", "url": "http://x", "health_check_path": "/h"}',
     "error: service_kind 'lambda' is not supported: expected one of ecs, beanstalk"),
    ('{"service_kind": "ecs", "url": "http://x", "health_check_path": "/h"}',
     "error: the outputs lack cluster_name, service_name, task_definition_arn, target_group_arn "
     "(needed for service_kind ecs)"),
    ('{"url": "http://x"}', "error: the outputs lack service_kind, health_check_path"),
    ('{"service_kind": "beanstalk", "url": "[secret]", "health_check_path": "/h", "application_name": "a", '
     '"environment_name": "e", "version_label": 3}', "error: the outputs hide url as [secret]: read them with "
                                                     "--show-secrets"),
    ('{"service_kind": "ecs", "url": "ftp://x", "health_check_path": "health", "cluster_name": "c", '
     '"service_name": "s", "task_definition_arn": "catnip:1", "target_group_arn": "t"}',
     "error: url must be an http:// or https:// address; health_check_path must start with /; "
     "task_definition_arn must look like"),
])
def test_bad_outputs_exit_2_with_one_message(tmp_path, capsys, content, message):
    path = tmp_path / "outputs.json"
    path.write_text(content)
    assert verify.main(["--outputs", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1


def test_unreadable_outputs_file_exits_2_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tools.verify", "--outputs", str(tmp_path / "missing.json")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    missing = tmp_path / "missing.json"
    assert result.stderr.strip() == f"error: cannot read outputs file {missing}: No such file or directory"


def test_stack_without_pulumi_cli_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    assert verify.main(["--stack", "dev"]) == 2
    assert capsys.readouterr().err.startswith("error: the Pulumi CLI is not installed (no `pulumi` on PATH)")


def fake_pulumi(tmp_path: Path, script: str) -> None:
    exe = tmp_path / "pulumi"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(0o755)


def test_stack_reads_outputs_with_the_pulumi_cli(tmp_path, monkeypatch):
    fake_pulumi(tmp_path, f'echo "$@" > {tmp_path}/args\necho \'{{"url": "http://x", "service_kind": "ecs"}}\'\n')
    monkeypatch.setenv("PATH", str(tmp_path))
    assert verify.outputs_from_stack("staging") == {"url": "http://x", "service_kind": "ecs"}
    assert (tmp_path / "args").read_text().strip() == "stack output --json --show-secrets --stack staging"


def test_stack_cli_failure_is_one_line(tmp_path, monkeypatch):
    fake_pulumi(tmp_path, "echo \"error: no stack named 'nope' found\" >&2\nexit 255\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError, match=r"^`pulumi stack output --stack nope` failed: error: no stack named 'nope' "
                                         r"found$"):
        verify.outputs_from_stack("nope")


def test_no_credentials_exits_2(tmp_path, monkeypatch, capsys):
    for name in [n for n in os.environ if n.startswith("AWS_")]:  # keys, profiles, container-role URIs
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-role lookup over the network
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(beanstalk_outputs("http://x", "a", "env1", "v1")))
    assert verify.main(["--outputs", str(path)]) == 2
    assert capsys.readouterr().err.strip() == ("error: no AWS credentials found (environment, ~/.aws, SSO or an "
                                               "instance role)")
