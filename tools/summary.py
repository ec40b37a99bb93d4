"""A short, plain-language summary of a stack's plan for a pull-request comment: does the image
change, what is added/changed/removed, what becomes reachable from the internet, what it costs
per month (and the delta against the base branch's plan), how long a rollout takes, and what the
policy pack and the preflight found."""

from __future__ import annotations

import json

from tools.cost import estimate as cost_estimate
from tools.diagram import mermaid
from tools.planview import ENV_TYPE, option_settings, sg_names
from tools.rollout import describe as describe_rollout
from tools.rollout import estimate as rollout_estimate

MAX_ROWS = 25  # keep the comment readable; the rest is counted
INTERNET = ("0.0.0.0/0", "::/0")


def _short(t: str) -> str:
    return t.rsplit(":", 1)[-1]


def security_rules(plan: dict) -> set[str]:
    """Every security-group rule, as a sentence that does not depend on generated ids."""
    names, rules = sg_names(plan), set()
    for r in plan["resources"]:
        if r["type"].startswith("aws:vpc/securityGroup") and r["type"].endswith("Rule"):
            i = r["inputs"]
            inbound = r["type"].endswith("IngressRule:SecurityGroupIngressRule")
            peer = i.get("cidrIpv4") or i.get("cidrIpv6") or names.get(i.get("referencedSecurityGroupId"), "?")
            ports = "all traffic" if i.get("ipProtocol") == "-1" else f"{i.get('ipProtocol')} {i.get('fromPort')}"
            where = names.get(i.get("securityGroupId"), "?")
            rules.add(f"{where}: {'in' if inbound else 'out'} {ports} {'from' if inbound else 'to'} {peer}")
    return rules


def exposure(plan: dict) -> set[str]:
    """What the internet can reach."""
    found = {rule for rule in security_rules(plan) if ": in " in rule and rule.endswith(INTERNET)}
    listeners = sorted(str(r["inputs"].get("port")) for r in plan["resources"]
                       if r["type"] == "aws:lb/listener:Listener")
    for lb in plan["resources"]:
        if lb["type"] == "aws:lb/loadBalancer:LoadBalancer" and not lb["inputs"].get("internal"):
            found.add(f"{lb['name']}: internet-facing load balancer on :{', :'.join(listeners)}")
    for env in plan["resources"]:
        if env["type"] == "aws:elasticbeanstalk/environment:Environment":
            opts = option_settings(env)
            kind = opts.get(ENV_TYPE, "LoadBalanced")
            https = ", :443" if opts.get("aws:elbv2:listener:443/ListenerEnabled") == "true" else ""
            front = "load balancer" if kind == "LoadBalanced" else "instance"
            found.add(f"{env['inputs'].get('name')}: Elastic Beanstalk {front} on :80{https}")
    return found


def diff(base: dict | None, plan: dict) -> dict:
    """Resources added, removed and changed (with the names of the inputs that differ)."""
    if base is None:
        return {"added": [(r["type"], r["name"]) for r in plan["resources"]], "removed": [], "changed": []}
    before = {(r["type"], r["name"]): r for r in base["resources"]}
    after = {(r["type"], r["name"]): r for r in plan["resources"]}
    changed = []
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key]["inputs"], after[key]["inputs"]
        keys = sorted(k for k in old.keys() | new.keys()
                      if json.dumps(old.get(k), sort_keys=True) != json.dumps(new.get(k), sort_keys=True))
        if keys:
            changed.append((*key, keys))
    return {"added": sorted(after.keys() - before.keys()), "removed": sorted(before.keys() - after.keys()),
            "changed": changed}


def _money(x: float) -> str:
    return f"${x:,.2f}"


def render_markdown(plan: dict, base: dict | None = None, policy: list[dict] | None = None,
                    preflight: dict | None = None) -> str:
    """The plan's own "policy" and "preflight" sections are used unless others are given."""
    if policy is None and "policy" in plan:
        policy = plan["policy"]["violations"]
    cost = plan.get("cost") or cost_estimate(plan)
    rollout = plan.get("rollout") or rollout_estimate(plan)
    out = [f"### berth plan: `{plan['stack']}`", ""]

    image, base_image = plan["outputs"].get("image_ref", ""), (base or {}).get("outputs", {}).get("image_ref")
    digest = image.split("@sha256:")[-1][:12]
    if base is None:
        out.append(f"- **Image:** `…@sha256:{digest}…` (no base plan to compare with)")
    elif base_image == image:
        out.append(f"- **Image:** unchanged (`…@sha256:{digest}…`): no new deployment from code")
    else:
        was = (base_image or "none").split("@sha256:")[-1][:12]
        out.append(f"- **Image:** changes `…@sha256:{was}…` → `…@sha256:{digest}…`: a new task definition "
                   "revision / application version rolls out")

    d = diff(base, plan)
    count = plan.get("summary", {}).get("resources", len(plan["resources"]))
    out.append(f"- **Resources:** {count} planned; {len(d['added'])} to add, {len(d['changed'])} "
               f"to change, {len(d['removed'])} to remove")

    before = exposure(base) if base else set()
    after = exposure(plan)
    opened, closed = sorted(after - before), sorted(before - after)
    if base is None:
        out.append("- **Reachable from the internet:** " + ("; ".join(sorted(after)) or "nothing"))
    elif opened or closed:
        out.append("- **Exposure changes:** " + "; ".join([f"newly reachable: {x}" for x in opened]
                                                          + [f"no longer reachable: {x}" for x in closed]))
    else:
        out.append("- **Exposure:** unchanged (" + ("; ".join(sorted(after)) or "nothing public") + ")")
    if base is not None:
        rules_before, rules_after = security_rules(base), security_rules(plan)
        for rule in sorted(rules_after - rules_before):
            out.append(f"  - security group rule added: {rule}")
        for rule in sorted(rules_before - rules_after):
            out.append(f"  - security group rule removed: {rule}")

    line = f"- **Cost:** {_money(cost['monthly_usd'])}/month"
    if base is not None:
        base_cost = (base.get("cost") or cost_estimate(base))["monthly_usd"]
        delta = cost["monthly_usd"] - base_cost
        line += f" ({'+' if delta >= 0 else '−'}{_money(abs(delta))} vs base {_money(base_cost)})"
    out.append(line + (f"; not priced: {', '.join(cost['incomplete'])}" if cost["incomplete"] else ""))
    out.append(f"- **Rollout:** {describe_rollout(rollout)}")

    if policy is not None:
        if policy:
            out.append(f"- **Policy:** ❌ {len(policy)} violation(s)")
            out.extend(f"  - `{v['policy']}` {v.get('resource') or 'stack'}: {v['message']}" for v in policy)
        else:
            out.append("- **Policy:** ✅ every policy passes")
    preflight = preflight if preflight is not None else plan.get("preflight")
    if preflight is not None:
        problems = preflight.get("problems") or []
        if problems:
            out.append(f"- **Preflight:** ❌ {len(problems)} problem(s) AWS would reject")
            out.extend(f"  - {p['text']}" for p in problems[:MAX_ROWS])
        else:
            out.append(f"- **Preflight:** ✅ {preflight.get('fields_checked', 0)} payload fields match "
                       "AWS's API models")
    for note in plan.get("notes", []):
        out.append(f"- **Note:** {note}")

    rows = [("add", t, n, "") for t, n in d["added"]]
    rows += [("change", t, n, ", ".join(k)) for t, n, k in d["changed"]]
    rows += [("remove", t, n, "") for t, n in d["removed"]]
    if rows and base is not None:
        out += ["", "| | type | name | inputs |", "|---|---|---|---|"]
        out += [f"| {a} | {_short(t)} | `{n}` | {k} |" for a, t, n, k in rows[:MAX_ROWS]]
        if len(rows) > MAX_ROWS:
            out.append(f"| … | | {len(rows) - MAX_ROWS} more | |")
    out += ["", "<details><summary>Diagram of the planned resources</summary>", "", "```mermaid",
            mermaid(plan).rstrip(), "```", "", "</details>"]
    out += ["", "<details><summary>Monthly cost lines</summary>", "", "| resource | item | $/month |",
            "|---|---|---|"]
    out += [f"| `{ln['resource']}` | {ln['item']} | {ln['monthly_usd'] if ln['monthly_usd'] is not None else '?'} |"
            for ln in cost["lines"]]
    out += ["", f"Assumptions: {'; '.join(f'{k}: {v}' for k, v in cost['assumptions'].items())}.", "", "</details>"]
    return "\n".join(out) + "\n"
