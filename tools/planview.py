"""Readers of plan data that the plan renderer, the summary, the diagram and the cost and rollout
models share, so each reads Elastic Beanstalk options and security-group names one way."""

from __future__ import annotations

ENV_TYPE = "aws:elasticbeanstalk:environment/EnvironmentType"


def option_settings(resource: dict) -> dict[str, str]:
    """An Elastic Beanstalk environment's option settings as `namespace/name -> value`."""
    return {f"{o['namespace']}/{o['name']}": o["value"] for o in resource["inputs"].get("settings") or []}


def sg_names(plan: dict) -> dict[str, str]:
    """Security group id -> its resource name, to describe rules without generated ids."""
    return {r["id"]: r["name"] for r in plan["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup"}
