"""Offline plan: run the real program for a stack under Pulumi's mock runtime and show what
`pulumi up` would create, with each resource's key settings, the stack outputs, the monthly cost,
the modelled rollout time and what the policy pack says.

    python -m tools.plan --stack dev            # readable plan
    python -m tools.plan --config path/to/Pulumi.x.yaml
    python -m tools.plan --stack prod --json    # machine-readable: resources with provider inputs
    python -m tools.plan --stack dev --markdown --base base.json   # pull-request summary vs a base plan
    python -m tools.plan --stack dev --mermaid  # diagram of the planned resources

Exit status: 0 planned; 2 a setting or stack file is invalid (one message per problem, nothing
planned), or the preflight finds a payload AWS's API would refuse (listed with the plan);
3 the policy pack finds a violation (`pulumi up --policy-pack policy` would refuse);
1 the program failed for another reason (one line; BERTH_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from tools import cost, preflight, rollout
from tools.mockcloud import Secret
from tools.planview import option_settings, sg_names
from tools.runner import ROOT, ProgramRun, read_stack_config, run_program

SECRET_TEXT = "[secret]"


class PlanInputError(Exception):
    """The stack cannot be planned because of its configuration (exit status 2)."""


def jsonable(value: Any) -> Any:
    if isinstance(value, Secret):
        return SECRET_TEXT
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# Resources are listed in the order a reader follows the flow (registration order varies).
TYPE_ORDER = [
    "pulumi:pulumi:StackReference", "aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "docker:index/image:Image",
    "aws:ec2/vpc:Vpc", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/subnet:Subnet",
    "aws:ec2/routeTable:RouteTable", "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/eip:Eip",
    "aws:ec2/natGateway:NatGateway", "aws:ecs/cluster:Cluster",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "aws:cloudwatch/logGroup:LogGroup",
    "aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/rolePolicy:RolePolicy",
    "aws:secretsmanager/secret:Secret", "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:ecs/taskDefinition:TaskDefinition", "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener", "aws:ecs/service:Service",
    "aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy",
    "aws:s3/bucket:Bucket", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketObjectv2:BucketObjectv2", "aws:iam/instanceProfile:InstanceProfile",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:elasticbeanstalk/application:Application", "aws:elasticbeanstalk/applicationVersion:ApplicationVersion",
    "aws:elasticbeanstalk/environment:Environment",
]
COMPONENT_ORDER = ["berth:index:AppImage", "berth:index:Network", "berth:index:FargateWebService",
                   "berth:index:BeanstalkWebApp"]


def _order(r) -> tuple[int, str]:
    order = TYPE_ORDER if r.custom else COMPONENT_ORDER
    rank = order.index(r.type) if r.type in order else len(order)
    return rank, r.name


def build_plan(run: ProgramRun) -> dict[str, Any]:
    """The plan as plain JSON data; every renderer works from this."""
    names = {r.urn: r.name for r in run.resources}
    resources, components = [], []
    for r in sorted(run.resources, key=_order):
        entry = {"type": r.type, "name": r.name, "parent": names.get(r.parent)}
        if r.custom:
            entry.update(id=r.id, protect=r.protect, inputs=jsonable(r.inputs))
            resources.append(entry)
        else:
            entry["outputs"] = jsonable(run.component_outputs.get(r.urn, {}))
            components.append(entry)
    outputs = {k: SECRET_TEXT if k in run.secret_outputs else jsonable(v) for k, v in run.outputs.items()}
    values = run.config.values
    plan = {
        "stack": run.stack,
        "config_file": str(run.config.source.relative_to(ROOT)) if run.config.source and
        run.config.source.is_relative_to(ROOT) else str(run.config.source),
        "region": values.get("aws:region", "us-east-1"),
        "summary": {
            # AWS and Docker resources; a stack reference is read from Pulumi's own state.
            "resources": len([r for r in resources if not r["type"].startswith("pulumi:")]),
            "components": len(components),
            "service": values.get("berth:service"),
            "registry": values.get("berth:registry"),
            "platform": values.get("berth:platform"),
        },
        "notes": list(run.config.notes),
        "components": components,
        "resources": resources,
        "outputs": outputs,
    }
    plan["cost"] = cost.estimate(plan)
    plan["rollout"] = rollout.estimate(plan)
    plan["policy"] = {"violations": policy_violations(plan)}
    plan["preflight"] = preflight.check(plan).to_json()
    return plan


def policy_violations(plan: dict) -> list[dict]:
    from policy.offline import check

    return check(plan["resources"], stack=plan["stack"])


# ---------------------------------------------------------------------------------------------
# Readable rendering: the few settings of each resource a reviewer cares about.

def _describe(r: dict, sgs: dict[str, str]) -> list[str]:
    """`sgs`: security group id -> name (tools.planview.sg_names), to name rule peers."""
    t, i = r["type"], r["inputs"]
    if t == "aws:ecr/repository:Repository":
        scan = (i.get("imageScanningConfiguration") or {}).get("scanOnPush")
        return [f"name {i.get('name')}, scan on push {scan}, force delete {i.get('forceDelete')}"]
    if t == "pulumi:pulumi:StackReference":
        return [f"reads image_ref from stack {i.get('name')}: the image is promoted, not built"]
    if t == "aws:ecr/lifecyclePolicy:LifecyclePolicy":
        rule = json.loads(i["policy"])["rules"][0]
        return [f"expire: {rule['description']}"]
    if t == "docker:index/image:Image":
        b = i.get("build") or {}
        return [f"build {b.get('context')} ({b.get('dockerfile')}) for {b.get('platform')}",
                f"push {i.get('imageName')}  (build on preview: {i.get('buildOnPreview')})"]
    if t == "aws:ecs/taskDefinition:TaskDefinition":
        rp = i.get("runtimePlatform") or {}
        lines = [f"family {i.get('family')}, {i.get('cpu')} CPU / {i.get('memory')} MiB, "
                 f"{rp.get('operatingSystemFamily')}/{rp.get('cpuArchitecture')}, {i.get('networkMode')}"]
        defs = i.get("containerDefinitions")
        for c in json.loads(defs) if isinstance(defs, str) else []:
            ports = ", ".join(f"{p['containerPort']}->{p.get('hostPort')}/{p.get('protocol')}"
                              for p in c.get("portMappings", []))
            lines.append(f"container {c['name']}: image {c['image']}")
            lines.append(f"  ports {ports}; env {', '.join(e['name'] for e in c.get('environment', [])) or '-'}; "
                         f"secrets {', '.join(s['name'] for s in c.get('secrets', [])) or '-'}")
            if "repositoryCredentials" in c:
                lines.append("  private registry: pull credentials from Secrets Manager")
        return lines
    if t == "aws:ecs/service:Service":
        nc = i.get("networkConfiguration") or {}
        cb = i.get("deploymentCircuitBreaker") or {}
        cap = ", ".join(s["capacityProvider"] for s in i.get("capacityProviderStrategies") or []) or \
            i.get("launchType")
        lbs = "; ".join(f"{lb['containerName']}:{lb['containerPort']}" for lb in i.get("loadBalancers") or [])
        return [f"desired {i.get('desiredCount')} on {cap}, public IP {nc.get('assignPublicIp')}, "
                f"{len(nc.get('subnets') or [])} subnets",
                f"rollout min/max {i.get('deploymentMinimumHealthyPercent')}/"
                f"{i.get('deploymentMaximumPercent')}%, circuit breaker {cb.get('enable')} rollback "
                f"{cb.get('rollback')}, grace {i.get('healthCheckGracePeriodSeconds')} s, "
                f"wait for steady state {i.get('waitForSteadyState')}",
                f"load balancer -> {lbs}"]
    if t == "aws:lb/targetGroup:TargetGroup":
        hc = i.get("healthCheck") or {}
        return [f"{i.get('protocol')} :{i.get('port')} target type {i.get('targetType')}, "
                f"drain {i.get('deregistrationDelay')} s",
                f"health {hc.get('path')} every {hc.get('interval')} s, timeout {hc.get('timeout')} s, "
                f"healthy after {hc.get('healthyThreshold')}, unhealthy after {hc.get('unhealthyThreshold')}"]
    if t == "aws:lb/loadBalancer:LoadBalancer":
        scheme = "internal" if i.get("internal") else "internet-facing"
        return [f"{i.get('loadBalancerType')} {scheme}, {len(i.get('subnets') or [])} subnets, "
                f"deletion protection {i.get('enableDeletionProtection', False)}"]
    if t == "aws:lb/listener:Listener":
        action = (i.get("defaultActions") or [{}])[0]
        what = "redirect to HTTPS" if action.get("type") == "redirect" else "forward to target group"
        return [f"{i.get('protocol')} :{i.get('port')} -> {what}"]
    if t in ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
             "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"):
        inbound = t.endswith("IngressRule")
        peer = i.get("cidrIpv4") or i.get("cidrIpv6") or sgs.get(i.get("referencedSecurityGroupId"), "?")
        ports = "all" if i.get("ipProtocol") == "-1" else f"{i.get('ipProtocol')} {i.get('fromPort')}" + (
            f"-{i.get('toPort')}" if i.get("toPort") != i.get("fromPort") else "")
        flag = "  [internet]" if inbound and peer in ("0.0.0.0/0", "::/0") else ""
        return [f"{'in' if inbound else 'out'} {ports} {'from' if inbound else 'to'} {peer} "
                f"on {sgs.get(i.get('securityGroupId'), '?')}{flag}"]
    if t == "aws:cloudwatch/logGroup:LogGroup":
        return [f"{i.get('name')}, retention {i.get('retentionInDays')} days"]
    if t == "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders":
        return [f"providers {', '.join(i.get('capacityProviders') or [])}"]
    if t == "aws:appautoscaling/target:Target":
        return [f"{i.get('minCapacity')}-{i.get('maxCapacity')} tasks"]
    if t == "aws:appautoscaling/policy:Policy":
        cfg = i.get("targetTrackingScalingPolicyConfiguration") or {}
        return [f"target tracking {cfg.get('targetValue')}% CPU"]
    if t == "aws:ec2/vpc:Vpc":
        return [f"{i.get('cidrBlock')}"]
    if t == "aws:ec2/subnet:Subnet":
        return [f"{i.get('cidrBlock')} in {i.get('availabilityZone')}"]
    if t == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        return [f"{str(i.get('policyArn')).rsplit('/', 1)[-1]}"]
    if t == "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive":
        return [", ".join(str(a).rsplit("/", 1)[-1] for a in i.get("policyArns") or [])]
    if t == "aws:s3/bucket:Bucket":
        return [f"prefix {i.get('bucketPrefix')}, force destroy {i.get('forceDestroy')}"]
    if t == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        return [f"public access blocked: {all(i.get(f) for f in flags)}"]
    if t == "aws:s3/bucketObjectv2:BucketObjectv2":
        source = i.get("source")
        lines = [f"s3 key {i.get('key')}, encryption {i.get('serverSideEncryption')}"]
        if isinstance(source, dict) and "text" in source:
            lines.append(f"content: {source['text']}")
        elif i.get("content") == SECRET_TEXT:
            lines.append("content: [secret] (registry credentials)")
        return lines
    if t == "aws:elasticbeanstalk/applicationVersion:ApplicationVersion":
        return [f"label {i.get('name')} -> {i.get('description')}"]
    if t == "aws:elasticbeanstalk/environment:Environment":
        # Short keys for the lines below: the last namespace segment and the option name.
        opts = {f"{k.split('/', 1)[0].rsplit(':', 1)[-1]}/{k.split('/', 1)[1]}": v
                for k, v in option_settings(r).items()}
        lines = [f"{i.get('name')}: {opts.get('environment/EnvironmentType')} on {opts.get('instances/InstanceTypes')}"
                 f", deployment {opts.get('command/DeploymentPolicy')}, {i.get('solutionStackName')}",
                 f"health {opts.get('application/Application Healthcheck URL')} ({opts.get('system/SystemType')}), "
                 f"logs streamed {opts.get('logs/StreamLogs')} kept {opts.get('logs/RetentionInDays')} days, "
                 f"version {i.get('version')}"]
        if "environment/LoadBalancerType" in opts:
            lines.append(f"load balancer {opts['environment/LoadBalancerType']}, "
                         f"{opts.get('asg/MinSize')}-{opts.get('asg/MaxSize')} instances")
        env = [o["name"] for o in i.get("settings") or [] if o["namespace"].endswith("application:environment")]
        lines.append(f"env {', '.join(env) or '-'}; {len(opts)} option settings, sorted")
        return lines
    return []


def render_text(plan: dict) -> str:
    s = plan["summary"]
    out = [f"berth plan: stack {plan['stack']} ({plan['config_file']}), region {plan['region']}",
           f"service {s['service']}, registry {s['registry']}, platform {s['platform']}: "
           f"{s['resources']} resources in {s['components']} components", ""]
    out.extend(f"note: {n}" for n in plan.get("notes", []))
    if plan.get("notes"):
        out.append("")
    sgs = sg_names(plan)
    by_parent: dict[str | None, list[dict]] = {}
    for r in plan["resources"]:
        by_parent.setdefault(r["parent"], []).append(r)
    for comp in plan["components"]:
        out.append(f"{comp['name']}  ({comp['type']})")
        children = by_parent.get(comp["name"], [])
        if not children and comp["type"] == "berth:index:Network":
            o = comp["outputs"]
            out.append(f"    uses the default VPC {o.get('vpcId')} (looked up, nothing created), "
                       f"{len(o.get('publicSubnetIds') or [])} default subnets, public IPs")
        for r in children:
            lock = "  [protected]" if r["protect"] else ""
            out.append(f"  + {r['type'].rsplit(':', 1)[-1]:<26} {r['name']}{lock}")
            out.extend(f"      {line}" for line in _describe(r, sgs))
        out.append("")
    loose = [r for r in plan["resources"] if r["parent"] not in {c["name"] for c in plan["components"]}]
    for r in loose:
        out.append(f"  + {r['type']} {r['name']}")
    out.append("Outputs")
    width = max((len(k) for k in plan["outputs"]), default=0)
    out.extend(f"  {k:<{width}}  {v}" for k, v in plan["outputs"].items())
    out += ["", f"Cost: ${plan['cost']['monthly_usd']:.2f} per month (python -m tools.cost --stack {plan['stack']} "
            "for the lines)", f"Rollout: {rollout.describe(plan['rollout'])}"]
    violations = plan["policy"]["violations"]
    out.append("Policy: every policy passes" if not violations else f"Policy: {len(violations)} violation(s)")
    out.extend(f"  ✗ {v['policy']} ({v.get('resource') or 'stack'}): {v['message']}" for v in violations)
    pre = plan["preflight"]
    out.append(f"Preflight: {pre['payloads']} payloads, {pre['fields_checked']} fields checked against AWS's API "
               f"models: " + ("no problems" if pre["ok"] else f"{len(pre['problems'])} problem(s)"))
    out.extend(f"  ✗ {p['text']}" for p in pre["problems"])
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------

def make_plan(stack: str | None, config_path: Path | None) -> dict:
    from components.settings import SettingsError

    if config_path is not None:
        config_path = config_path.resolve()
        name = config_path.name
        derived = name[len("Pulumi."):-len(".yaml")] if name.startswith("Pulumi.") and name.endswith(".yaml") else None
        stack = stack or derived or "dev"
    stack = stack or "dev"
    try:
        config = read_stack_config(stack, config_path)
    except (OSError, ValueError) as exc:
        raise PlanInputError(str(exc)) from exc
    except Exception as exc:  # YAML syntax errors and the like
        raise PlanInputError(f"cannot read the stack file: {exc}") from exc
    try:
        run = run_program(config)
    except SettingsError as exc:
        raise PlanInputError(str(exc)) from exc
    return build_plan(run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description="Offline plan of a berth stack.")
    parser.add_argument("--stack", help="stack name (default: dev, or taken from --config's file name)")
    parser.add_argument("--config", type=Path, help="plan this stack file instead of Pulumi.<stack>.yaml")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the plan as JSON")
    output.add_argument("--markdown", action="store_true", help="print a pull-request summary")
    output.add_argument("--mermaid", action="store_true", help="print a Mermaid diagram of the plan")
    parser.add_argument("--base", type=Path, help="with --markdown: the base branch's `--json` plan to compare")
    args = parser.parse_args(argv)
    base = None
    if args.base:
        try:
            base = json.loads(args.base.read_text())
        except (OSError, ValueError) as exc:
            print(f"error: cannot read the base plan {args.base}: {exc}", file=sys.stderr)
            return 2
    try:
        plan = make_plan(args.stack, args.config)
    except PlanInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the promise: no traceback reaches the user
        if os.environ.get("BERTH_DEBUG"):
            traceback.print_exc()
        print(f"error: the program failed while planning: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(plan, indent=2))
    elif args.markdown:
        from tools.summary import render_markdown

        print(render_markdown(plan, base=base), end="")
    elif args.mermaid:
        from tools.diagram import mermaid

        print(mermaid(plan), end="")
    else:
        print(render_text(plan), end="")
    if not plan["preflight"]["ok"]:
        return 2
    return 3 if plan["policy"]["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
