"""Run the policy pack offline against the resources a mock run recorded (no Pulumi CLI, no AWS).

    python -m policy.offline --stack dev          # violations of a committed stack; exit 1 if any
    python -m policy.offline --config path/to/Pulumi.x.yaml

`check(resources)` takes the `"resources"` list of a plan (`tools.plan.build_plan(run)["resources"]`)
and calls each policy of `policy.policies.POLICIES` the way the engine's analyzer does: resource
policies once per resource with `ResourceValidationArgs`, stack policies once with
`StackValidationArgs`. The inputs are handed over in the engine's shape: wrapped in pulumi_policy's
unknown-checking proxies (Mapping/Sequence, not dict/list) and with numbers as floats, as protobuf
delivers them, so a policy that only works on plain Python values fails here too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable
from inspect import isawaitable
from pathlib import Path
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy.policies import POLICIES

PROJECT = "berth"


def _engine_value(value: Any) -> Any:
    """Plan JSON -> what the analyzer deserializes from protobuf: every number is a float."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {k: _engine_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_engine_value(v) for v in value]
    return value


def _urn(stack: str, typ: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{typ}::{name}"


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _policy_resources(resources: list[dict], stack: str) -> list[PolicyResource]:
    """PolicyResources with the dependencies the engine would report.

    The engine knows that an input came from another resource's output; the plan keeps only values.
    A top-level input holding another resource's id stands for that dependency (mock ids are unique),
    which is what lets stack policies match references the way they must during a real preview.
    """
    out: list[PolicyResource] = []
    by_id: dict[str, PolicyResource] = {}
    for r in resources:
        opts = PolicyResourceOptions(protect=bool(r.get("protect")), ignore_changes=[], delete_before_replace=None,
                                     aliases=[], custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
                                     additional_secret_outputs=[])
        props = unknown_checking_proxy(_engine_value(r.get("inputs") or {}))
        pr = PolicyResource(r["type"], props, _urn(stack, r["type"], r["name"]), r["name"], opts, None, None, [], {})
        out.append(pr)
        if isinstance(r.get("id"), str) and r["id"]:
            by_id.setdefault(r["id"], pr)
    for r, pr in zip(resources, out, strict=True):
        for key, value in (r.get("inputs") or {}).items():
            deps = [by_id[s] for s in sorted(_strings(value)) if s in by_id and by_id[s] is not pr]
            if deps:
                pr.property_dependencies[key] = deps
                pr.dependencies.extend(d for d in deps if d not in pr.dependencies)
    return out


def _settle(result: Awaitable | None) -> None:
    if result is not None and isawaitable(result):
        async def wait() -> None:
            await result
        asyncio.run(wait())


def check(resources: list[dict], stack: str = "offline") -> list[dict]:
    """Every violation of the pack by these plan resources, in policy order then resource order.

    Each is {"policy", "resource", "type", "message"}; a stack-level violation not tied to one
    resource has resource and type None. `message` is what the policy reported (the engine
    prints it after the policy's description).
    """
    policy_resources = _policy_resources(resources, stack)
    by_urn = {r.urn: r for r in policy_resources}
    violations: list[dict] = []

    def reporter(policy_name: str, default: PolicyResource | None):
        def report_violation(message: str, urn: str | None = None) -> None:
            # Resource policies always report against the resource validated, as the engine does.
            target = default if default is not None else by_urn.get(urn or "")
            violations.append({"policy": policy_name, "resource": target.name if target else None,
                               "type": target.resource_type if target else None, "message": message})
        return report_violation

    for policy in POLICIES:
        if isinstance(policy, ResourceValidationPolicy):
            for r in policy_resources:
                args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, None, {}, {})
                _settle(policy.validate(args, reporter(policy.name, r)))
        elif isinstance(policy, StackValidationPolicy):
            _settle(policy.validate(StackValidationArgs(policy_resources, {}, {}), reporter(policy.name, None)))
    return violations


def format_violation(v: dict) -> str:
    where = f"{v['resource']} ({v['type']})" if v["resource"] else "stack"
    return f"[{v['policy']}] {where}: {v['message']}"


def main(argv: list[str] | None = None) -> int:
    # The project's tools are imported here only: the Pulumi CLI runs the pack without them.
    from tools.plan import PlanInputError, make_plan

    parser = argparse.ArgumentParser(prog="python -m policy.offline",
                                     description="Check a stack's offline plan against the policy pack.")
    parser.add_argument("--stack", help="stack name (default: dev, or taken from --config's file name)")
    parser.add_argument("--config", type=Path, help="check this stack file instead of Pulumi.<stack>.yaml")
    parser.add_argument("--json", action="store_true", help="print the violations as JSON")
    args = parser.parse_args(argv)
    try:
        plan = make_plan(args.stack, args.config)
    except PlanInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    violations = check(plan["resources"], stack=plan["stack"])
    if args.json:
        print(json.dumps(violations, indent=2))
    elif violations:
        print(f"stack {plan['stack']}: {len(violations)} policy violation(s)")
        for v in violations:
            print(f"  {format_violation(v)}")
    else:
        print(f"stack {plan['stack']}: no policy violations ({len(POLICIES)} policies, "
              f"{len(plan['resources'])} resources)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
