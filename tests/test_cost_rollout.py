"""Cost and rollout estimates from the planned resources, the targets every committed stack must
meet, the pull-request summary and the diagram."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tools.cost import cdk_pattern_plan, estimate, load_prices
from tools.plan import build_plan
from tools.rollout import CONSTANTS, ecs_batches
from tools.rollout import estimate as rollout
from tools.runner import ROOT, committed_stacks, run_stack
from tools.summary import diff, exposure, render_markdown


@pytest.fixture(scope="module")
def plans() -> dict[str, dict]:
    return {s: build_plan(run_stack(s)) for s in committed_stacks()}


def line(cost: dict, fragment: str) -> dict:
    return next(ln for ln in cost["lines"] if fragment in ln["item"])


# --- targets (the numbers, checked on every committed stack) ---------------------------

def test_dev_costs_at_most_30_a_month_on_spot_without_nat(plans):
    dev = plans["dev"]
    assert dev["cost"]["monthly_usd"] <= 30
    assert "Fargate Spot" in line(dev["cost"], "Fargate")["item"]
    assert not [r for r in dev["resources"] if r["type"] == "aws:ec2/natGateway:NatGateway"]


def test_tutorial_on_one_beanstalk_instance_costs_at_most_12(plans):
    assert plans["tutorial"]["cost"]["monthly_usd"] <= 12
    assert "EC2 t4g.micro × 1" in [ln["item"] for ln in plans["tutorial"]["cost"]["lines"]]


def test_prod_runs_two_tasks_in_two_azs_for_at_most_80(plans):
    prod = plans["prod"]
    service = next(r for r in prod["resources"] if r["type"] == "aws:ecs/service:Service")
    assert service["inputs"]["desiredCount"] >= 2
    assert len(service["inputs"]["networkConfiguration"]["subnets"]) >= 2
    assert prod["cost"]["monthly_usd"] <= 80


def test_staging_and_prod_roll_out_within_90_seconds(plans):
    for stack in ("staging", "prod"):
        assert plans[stack]["rollout"]["seconds"] <= 90, stack


def test_the_cdk_pattern_defaults_cost_about_106_and_roll_out_in_about_9_minutes():
    cdk = cdk_pattern_plan()
    assert 100 <= estimate(cdk)["monthly_usd"] <= 110
    # 10 + (45 + 30 × 5) + 300 + 30 + 15: the upper end of AWS's "6-9 minutes" (the model counts the
    # full healthy threshold; ELB may pass a new target after its first check).
    assert rollout(cdk)["seconds"] == 550


# --- the cost model ---------------------------------------------------------------------------

def test_fargate_line_is_priced_from_the_task_definition(plans):
    prices = load_prices()
    hours = prices.hours
    staging = line(plans["staging"]["cost"], "Fargate")  # on-demand, arm64, 256/512, one task
    expected = (0.25 * prices.by("fargate_vcpu_hour", "arm64") + 0.5 * prices.by("fargate_gb_hour", "arm64")) * hours
    assert staging["monthly_usd"] == pytest.approx(expected, abs=0.01)
    spot = line(plans["dev"]["cost"], "Fargate")
    assert spot["monthly_usd"] == pytest.approx(expected * (1 - prices.value("fargate_spot_discount")), abs=0.01)


def test_costs_follow_the_planned_resources_not_the_settings(plans):
    base = plans["staging"]
    doubled = build_plan(run_stack("staging", {"cpu": 512, "memory": 1024}))
    assert line(doubled["cost"], "Fargate")["monthly_usd"] == pytest.approx(
        2 * line(base["cost"], "Fargate")["monthly_usd"], abs=0.02)
    nat = build_plan(run_stack("staging", {"natGateway": True}))
    nat_lines = [ln for ln in nat["cost"]["lines"] if ln["type"] == "aws:ec2/natGateway:NatGateway"]
    assert sum(ln["monthly_usd"] for ln in nat_lines) == pytest.approx(0.045 * 730 + 0.045, abs=0.01)
    assert nat["cost"]["monthly_usd"] > base["cost"]["monthly_usd"] + 32


def test_public_ipv4_is_counted_per_alb_az_and_per_task(plans):
    prod = plans["prod"]["cost"]
    assert line(prod, "one per AZ")["monthly_usd"] == pytest.approx(2 * 0.005 * 730, abs=0.01)
    assert line(prod, "one per task")["monthly_usd"] == pytest.approx(2 * 0.005 * 730, abs=0.01)


def test_region_overrides_and_unknown_instance_types(plans, tmp_path, monkeypatch):
    eu = load_prices("eu-west-1")
    assert eu.value("alb_hour") == 0.0252 and eu.value("fargate_spot_discount") == 0.70
    override = tmp_path / "prices.json"
    override.write_text(json.dumps({"prices": {"alb_hour": {"value": 0.03}}}))
    monkeypatch.setenv("BERTH_PRICES", str(override))
    assert load_prices().value("alb_hour") == 0.03
    monkeypatch.delenv("BERTH_PRICES")
    big = build_plan(run_stack("tutorial", {"instanceType": "m8g.large"}))
    assert big["cost"]["incomplete"] == ["m8g.large"]
    assert line(big["cost"], "EC2 m8g.large")["monthly_usd"] is None


# --- the rollout model ------------------------------------------------------------------------

@pytest.mark.parametrize(("desired", "low", "high", "batches"), [
    (1, 100, 200, 1), (4, 100, 200, 1), (4, 100, 150, 2), (3, 50, 100, 3), (2, 0, 100, 1), (10, 100, 110, 10),
])
def test_ecs_batches(desired, low, high, batches):
    assert ecs_batches(desired, low, high) == batches


def test_rollout_terms_come_from_the_planned_resources(plans):
    r = rollout(plans["prod"])
    assert r["terms"] == {"T_api": CONSTANTS["T_api"], "batches": 1, "T_launch": CONSTANTS["T_launch"],
                          "T_health": 10, "T_drain": 5, "T_stop": 5, "T_poll": CONSTANTS["T_poll"]}
    slow = build_plan(run_stack("prod", {"deregistrationDelay": 60, "healthCheckInterval": 30,
                                         "healthCheckTimeout": 5, "healthyThreshold": 5}))
    assert rollout(slow)["seconds"] == r["seconds"] + 55 + 140


def test_beanstalk_rollout_follows_the_deployment_policy(plans):
    all_at_once = rollout(plans["tutorial"])
    immutable = rollout(build_plan(run_stack("tutorial", {"deploymentPolicy": "Immutable"})))
    assert all_at_once["terms"]["policy"] == "AllAtOnce"
    assert immutable["seconds"] > all_at_once["seconds"] + CONSTANTS["T_instance"]


# --- summary and diagram ----------------------------------------------------------------------

def test_summary_against_a_base_names_image_exposure_cost_and_changes(plans):
    base = plans["dev"]
    head = build_plan(run_stack("dev", {"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-1",
                                        "desiredCount": 2, "maxCount": 2}))
    text = render_markdown(head, base=base, policy=[])
    assert "- **Image:** unchanged" in text
    assert "newly reachable: catnip-web-alb-sg: in tcp 443 from 0.0.0.0/0" in text
    assert "| change | Service | `catnip-web-service` | desiredCount |" in text
    assert "| add | Listener | `catnip-web-https` |  |" in text
    delta = head["cost"]["monthly_usd"] - base["cost"]["monthly_usd"]
    assert f"(+${delta:,.2f} vs base ${base['cost']['monthly_usd']:,.2f})" in text
    assert "- **Policy:** ✅ every policy passes" in text


def test_summary_reports_an_image_change(plans):
    base = json.loads(json.dumps(plans["dev"]))
    base["outputs"]["image_ref"] = base["outputs"]["image_ref"][:-64] + "0" * 64
    text = render_markdown(plans["dev"], base=base)
    assert "- **Image:** changes `…@sha256:000000000000…`" in text


def test_diff_and_exposure_helpers(plans):
    assert diff(plans["dev"], plans["dev"]) == {"added": [], "removed": [], "changed": []}
    assert "catnip-web-alb-sg: in tcp 80 from 0.0.0.0/0" in exposure(plans["dev"])
    assert "catnip-tutorial: Elastic Beanstalk instance on :80" in exposure(plans["tutorial"])
    assert not [e for e in exposure(plans["prod"]) if "task-sg" in e]  # tasks are never public


def test_cli_markdown_with_base_and_mermaid(tmp_path):
    base = tmp_path / "base.json"
    first = subprocess.run([sys.executable, "-m", "tools.plan", "--stack", "prod", "--json"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    plan = json.loads(first.stdout)
    assert {"cost", "rollout", "policy"} <= set(plan) and plan["policy"]["violations"] == []
    assert plan["cost"]["monthly_usd"] > 0 and plan["rollout"]["seconds"] > 0
    base.write_text(first.stdout)
    md = subprocess.run([sys.executable, "-m", "tools.plan", "--stack", "prod", "--markdown", "--base", str(base)],
                        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert md.returncode == 0, md.stderr
    assert "0 to add, 0 to change, 0 to remove" in md.stdout and "(+$0.00 vs base" in md.stdout
    diagram = subprocess.run([sys.executable, "-m", "tools.plan", "--stack", "prod", "--mermaid"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert diagram.stdout.startswith("flowchart LR\n")
    assert "internet -- \":80\" --> catnip_web_alb" in diagram.stdout
    assert "registry -. pull by digest .-> catnip_web_service" in diagram.stdout
