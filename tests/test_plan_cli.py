"""`python -m tools.plan` as a user runs it: readable plan, JSON, --config, and clean errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def plan_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.plan", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def dev_json() -> dict:
    result = plan_cli("--stack", "dev", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_readable_plan_shows_key_settings_and_outputs():
    result = plan_cli("--stack", "dev")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "berth plan: stack dev (Pulumi.dev.yaml)" in text
    assert "ports 5000->5000/tcp" in text
    assert "health /health every 5 s" in text
    assert "in tcp 80 from 0.0.0.0/0 on catnip-web-alb-sg  [internet]" in text
    assert "in tcp 5000 from catnip-web-alb-sg on catnip-web-task-sg" in text
    assert "desired 1 on FARGATE_SPOT" in text
    assert "\nOutputs\n" in text and "image_ref" in text


def test_json_plan_has_provider_inputs(dev_json):
    assert dev_json["stack"] == "dev"
    assert set(dev_json) >= {"stack", "resources", "outputs"}
    td = next(r for r in dev_json["resources"] if r["type"] == "aws:ecs/taskDefinition:TaskDefinition")
    assert isinstance(td["inputs"]["containerDefinitions"], str)  # a JSON string, as the provider gets it
    assert json.loads(td["inputs"]["containerDefinitions"])[0]["portMappings"][0]["containerPort"] == 5000
    assert dev_json["summary"]["resources"] == len(dev_json["resources"]) == 19
    assert all({"type", "name", "inputs"} <= set(r) for r in dev_json["resources"])


def test_json_plan_masks_secrets(dev_json):
    image = next(r for r in dev_json["resources"] if r["type"] == "docker:index/image:Image")
    assert image["inputs"]["registry"] == "[secret]"
    assert "mock-ecr-password" not in json.dumps(dev_json)


def test_config_path_plans_any_stack_file(tmp_path):
    stack_file = tmp_path / "Pulumi.review.yaml"
    stack_file.write_text("config:\n  aws:region: eu-west-1\n  berth:port: 8080\n")
    result = plan_cli("--config", str(stack_file), "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["stack"] == "review" and plan["region"] == "eu-west-1"
    tg = next(r for r in plan["resources"] if r["type"] == "aws:lb/targetGroup:TargetGroup")
    assert tg["inputs"]["port"] == 8080


def test_bad_setting_exits_2_with_one_clear_message_and_no_traceback(tmp_path):
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text("config:\n  berth:port: 70000\n")
    result = plan_cli("--config", str(stack_file))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == ("error: berth:port = '70000' is not allowed: must be an integer from 1 to 65535 "
                                     "(elbv2 CreateTargetGroup.Port)")
    assert "Traceback" not in result.stderr


def test_missing_stack_file_exits_2():
    result = plan_cli("--stack", "nosuchstack")
    assert result.returncode == 2
    assert "no stack file at" in result.stderr and "Traceback" not in result.stderr
