"""How long a rollout of a planned stack takes, modelled from the planned resources.

ECS:  T ≈ T_api + batches × (T_launch + T_health) + T_drain + T_stop + T_poll
  batches  from desired count and min/max healthy percent (how many new tasks start at once)
  T_health target group interval × healthy threshold (an upper bound: ELB may pass a newly
           registered target after its first successful check)
  T_drain  the deregistration delay (worst case: ALB stops waiting once nothing is in flight)
  T_stop   the container stop timeout (worst case: SIGTERM is answered within it)
Elastic Beanstalk: from the deployment policy (AllAtOnce < Rolling < RollingWithAdditionalBatch
< Immutable < TrafficSplitting), with the same health and drain terms.

The constants are stated in CONSTANTS and in every result.
"""

from __future__ import annotations

import json
import math

from tools.planview import ENV_TYPE, option_settings

CONSTANTS = {
    "T_api": 10,  # pulumi/AWS API calls that start the deployment
    "T_launch": 45,  # a Fargate task of a small image: capacity, pull, container start
    "T_poll": 15,  # the scheduler noticing and reporting the new state
    "T_deploy": 45,  # Beanstalk: pull the image and restart the container on an instance
    "T_instance": 180,  # Beanstalk: boot and bootstrap a new EC2 instance
    "T_health_single": 10,  # Beanstalk single instance: enhanced health reports every 10 s
    "T_swap": 60,  # Beanstalk immutable: move new instances in, terminate the old ones
    "T_evaluate": 300,  # Beanstalk traffic splitting: default evaluation time
}
# AWS defaults when an input is absent.
DEFAULTS = {"interval": 30, "healthy": 5, "drain": 300, "stop": 30, "min": 100, "max": 200}


def ecs_batches(desired: int, min_percent: int, max_percent: int) -> int:
    """How many rounds of new tasks ECS needs to replace `desired` tasks."""
    desired = max(desired, 1)
    surge = math.floor(desired * (max_percent - 100) / 100)
    if surge >= 1:
        return math.ceil(desired / surge)
    # No room above 100%: ECS must stop old tasks first, as many as min healthy allows.
    stoppable = desired - math.ceil(desired * min_percent / 100)
    return math.ceil(desired / max(stoppable, 1))


def _ecs(plan: dict) -> dict | None:
    services = [r for r in plan["resources"] if r["type"] == "aws:ecs/service:Service"]
    if not services:
        return None
    svc = services[0]["inputs"]
    tg = next((r["inputs"] for r in plan["resources"] if r["type"] == "aws:lb/targetGroup:TargetGroup"), {})
    td = next((r["inputs"] for r in plan["resources"] if r["type"] == "aws:ecs/taskDefinition:TaskDefinition"
               and r["id"] == svc.get("taskDefinition")), {})
    containers = json.loads(td.get("containerDefinitions") or "[]")
    hc = tg.get("healthCheck") or {}
    desired = int(svc.get("desiredCount", 1))
    batches = ecs_batches(desired, int(svc.get("deploymentMinimumHealthyPercent", DEFAULTS["min"])),
                          int(svc.get("deploymentMaximumPercent", DEFAULTS["max"])))
    health = int(hc.get("interval", DEFAULTS["interval"])) * int(hc.get("healthyThreshold", DEFAULTS["healthy"]))
    terms = {
        "T_api": CONSTANTS["T_api"],
        "batches": batches,
        "T_launch": CONSTANTS["T_launch"],
        "T_health": health,
        "T_drain": int(tg.get("deregistrationDelay", DEFAULTS["drain"])),
        "T_stop": max((int(c.get("stopTimeout", DEFAULTS["stop"])) for c in containers), default=DEFAULTS["stop"]),
        "T_poll": CONSTANTS["T_poll"],
    }
    seconds = (terms["T_api"] + batches * (terms["T_launch"] + terms["T_health"]) + terms["T_drain"]
               + terms["T_stop"] + terms["T_poll"])
    return {"service": "ecs", "seconds": seconds, "terms": terms, "capacity": f"{desired} task(s)",
            "formula": "T_api + batches × (T_launch + T_health) + T_drain + T_stop + T_poll"}


def _beanstalk(plan: dict) -> dict | None:
    env = next((r for r in plan["resources"] if r["type"] == "aws:elasticbeanstalk/environment:Environment"), None)
    if env is None:
        return None
    opts = option_settings(env)
    policy = opts.get("aws:elasticbeanstalk:command/DeploymentPolicy", "AllAtOnce")
    load_balanced = opts.get(ENV_TYPE, "LoadBalanced") == "LoadBalanced"
    count = int(opts.get("aws:autoscaling:asg/MinSize", 1)) if load_balanced else 1
    process = "aws:elasticbeanstalk:environment:process:default/"
    if load_balanced:
        health = (int(opts.get(process + "HealthCheckInterval", 15))
                  * int(opts.get(process + "HealthyThresholdCount", 3)))
        drain = int(opts.get(process + "DeregistrationTimeout", 20))
    else:
        health, drain = CONSTANTS["T_health_single"], 0
    c = CONSTANTS
    terms: dict[str, int | str] = {"policy": policy, "T_api": c["T_api"], "T_deploy": c["T_deploy"],
                                   "T_health": health, "T_poll": c["T_poll"]}
    if policy == "AllAtOnce":
        seconds = c["T_api"] + c["T_deploy"] + health + c["T_poll"]
    elif policy in ("Rolling", "RollingWithAdditionalBatch"):
        batch = max(1, math.ceil(count * int(opts.get("aws:elasticbeanstalk:command/BatchSize", 50)) / 100))
        batches = math.ceil(count / batch)
        terms.update(batches=batches, T_drain=drain)
        seconds = c["T_api"] + batches * (drain + c["T_deploy"] + health) + c["T_poll"]
        if policy == "RollingWithAdditionalBatch":
            terms["T_instance"] = c["T_instance"]
            seconds += c["T_instance"]
    else:  # Immutable and TrafficSplitting launch a fresh set of instances first
        terms.update(T_instance=c["T_instance"], T_swap=c["T_swap"], T_drain=drain)
        seconds = c["T_api"] + c["T_instance"] + c["T_deploy"] + health + drain + c["T_swap"] + c["T_poll"]
        if policy == "TrafficSplitting":
            terms["T_evaluate"] = c["T_evaluate"]
            seconds += c["T_evaluate"]
    return {"service": "beanstalk", "seconds": seconds, "terms": terms, "capacity": f"{count} instance(s)",
            "formula": f"deployment policy {policy}"}


def estimate(plan: dict) -> dict:
    """{"seconds", "terms", "formula", "capacity", "constants"} for the stack's service."""
    result = _ecs(plan) or _beanstalk(plan) or {"service": None, "seconds": 0, "terms": {}, "capacity": "-",
                                                "formula": "no service planned"}
    result["constants"] = CONSTANTS
    return result


def describe(result: dict) -> str:
    terms = ", ".join(f"{k} {v}" for k, v in result["terms"].items())
    return f"~{result['seconds']} s ({result['formula']}: {terms})"
