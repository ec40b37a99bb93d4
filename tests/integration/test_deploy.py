"""Opt-in real-cloud test: `pulumi up` a throw-away stack with the Automation API, run
`python -m tools.verify` on its outputs, then destroy the stack and remove it.

    BERTH_IT=1 venv/bin/python -m pytest tests/integration -s                 # ECS Fargate (default)
    BERTH_IT=1 BERTH_IT_SERVICE=beanstalk venv/bin/python -m pytest tests/integration -s

Skipped (with the reason) unless BERTH_IT=1, the Pulumi CLI and a Docker daemon's CLI are on PATH,
and boto3 finds AWS credentials. The Pulumi CLI must be logged in to a backend (`pulumi login
--local` needs PULUMI_CONFIG_PASSPHRASE set). Region: AWS_REGION / the default chain, else
us-east-1. Takes 5-15 minutes and costs cents; the stack is named `it-<random>` and lives only for
the test (its Pulumi.it-<random>.yaml is removed with it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import BotoCoreError
from pulumi import automation as auto

ROOT = Path(__file__).resolve().parents[2]
SERVICE = os.environ.get("BERTH_IT_SERVICE", "ecs")


def skip_reason() -> str | None:
    if os.environ.get("BERTH_IT") != "1":
        return "real-cloud test: set BERTH_IT=1 to deploy a throw-away stack to AWS (costs cents, takes minutes)"
    if shutil.which("pulumi") is None:
        return "BERTH_IT=1 but the Pulumi CLI is not on PATH"
    if shutil.which("docker") is None:
        return "BERTH_IT=1 but docker is not on PATH (`pulumi up` builds the image)"
    try:
        credentials = boto3.session.Session().get_credentials()
    except BotoCoreError as exc:
        return f"BERTH_IT=1 but boto3 cannot load AWS credentials: {exc}"
    if credentials is None:
        return "BERTH_IT=1 but boto3 finds no AWS credentials"
    if SERVICE not in ("ecs", "beanstalk"):
        return f"BERTH_IT_SERVICE={SERVICE!r}: expected ecs or beanstalk"
    return None


REASON = skip_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def test_up_verify_destroy(tmp_path):
    region = boto3.session.Session().region_name or "us-east-1"
    stack_name = f"it-{uuid.uuid4().hex[:8]}"
    config = {"aws:region": region, "berth:service": SERVICE, "berth:logRetentionDays": "1"}
    if SERVICE == "ecs":
        config["berth:spot"] = "true"  # the cheapest capacity; verification does not depend on it

    stack = auto.create_or_select_stack(stack_name=stack_name, work_dir=str(ROOT))
    try:
        stack.set_all_config({key: auto.ConfigValue(value=value) for key, value in config.items()})
        up = stack.up(on_output=print)
        outputs = {name: output.value for name, output in up.outputs.items()}
        outputs_file = tmp_path / "outputs.json"
        outputs_file.write_text(json.dumps(outputs))

        result = subprocess.run(
            [sys.executable, "-m", "tools.verify", "--outputs", str(outputs_file), "--json", "--timeout", "900"],
            cwd=ROOT, capture_output=True, text=True, timeout=1200,
        )
        print(result.stderr)
        assert result.returncode == 0, result.stdout + result.stderr
        report = json.loads(result.stdout)
        checks = {c["name"]: c for c in report["checks"]}
        assert report["ok"] is True and report["service_kind"] == SERVICE
        assert checks["probe.health"]["detail"].startswith(f"GET {outputs['url'].rstrip('/')}/health -> 200 in ")
        if SERVICE == "ecs":
            deployed = outputs["task_definition_arn"].rsplit("/", 1)[1]
            assert checks["ecs.revision"]["detail"].startswith(f"the PRIMARY deployment runs {deployed},")
            assert checks["ecs.targets"]["ok"] is True
        else:
            assert checks["beanstalk.version"]["detail"].startswith(f"runs version {outputs['version_label']!r}")
    finally:
        # Destroy first; remove the stack only once it is empty (never force: that would orphan
        # resources that still cost money).
        try:
            stack.destroy(on_output=print)
        finally:
            stack.workspace.remove_stack(stack_name)
