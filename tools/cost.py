"""Monthly cost of a planned stack, computed from the planned resources (the recorded provider
inputs), not from the settings: what is costed is what would be created.

    python -m tools.cost --stack dev        # per-resource lines and the monthly total
    python -m tools.cost --compare          # every committed stack next to the CDK pattern's defaults

Prices and traffic assumptions live in tools/prices.json (us-east-1, dated, sourced). A region
listed under "regions" there overrides the figures it names; BERTH_PRICES=path/to/prices.json
merges a file of the same shape over the defaults.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.planview import ENV_TYPE, option_settings

PRICES_FILE = Path(__file__).with_name("prices.json")


@dataclass(frozen=True)
class Prices:
    region: str
    hours: int
    table: dict[str, Any]
    assumptions: dict[str, Any]
    source_note: str

    def value(self, key: str) -> float:
        return float(self.table[key]["value"])

    def by(self, key: str, variant: str) -> float | None:
        found = self.table[key].get(variant)
        return None if found is None else float(found)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_prices(region: str = "us-east-1", path: Path | None = None) -> Prices:
    data = json.loads(PRICES_FILE.read_text())
    extra = path or (Path(os.environ["BERTH_PRICES"]) if os.environ.get("BERTH_PRICES") else None)
    if extra:
        data = _merge(data, json.loads(Path(extra).read_text()))
    table = data["prices"]
    note = f"{data['region']} list prices as of {data['as_of']}"
    if region != data["region"] and region in data.get("regions", {}):
        table = _merge(table, {k: v for k, v in data["regions"][region].items() if k != "source"})
        note = f"{region} prices where tools/prices.json lists them, else {note}"
    elif region != data["region"]:
        note = f"{note} (no {region} figures in tools/prices.json; add them under 'regions')"
    return Prices(region=region, hours=int(data["hours_per_month"]), table=table,
                  assumptions=data["assumptions"], source_note=note)


def _is_production(plan: dict) -> bool:
    return any((r["inputs"].get("tags") or {}).get("environment") == "production" for r in plan["resources"])


def _lcu(prices: Prices, traffic: dict) -> float:
    """Load balancer capacity units for the assumed traffic: the larger of new connections
    (25/s per LCU, one connection per request at worst) and processed bytes (1 GB/h per LCU)."""
    rps, kb = traffic["requests_per_second"], traffic["kb_per_response"]
    return max(rps / 25, rps * kb * 3600 / 1e6)


def estimate(plan: dict, prices: Prices | None = None) -> dict:
    """{"monthly_usd", "lines": [{resource, type, item, monthly_usd}], "assumptions", "incomplete"}."""
    prices = prices or load_prices(plan.get("region", "us-east-1"))
    hours = prices.hours
    env = "production" if _is_production(plan) else "non-production"
    traffic = prices.assumptions["traffic"][env]
    lines: list[dict] = []
    unknown: list[str] = []
    by_type: dict[str, list[dict]] = {}
    for r in plan["resources"]:
        by_type.setdefault(r["type"], []).append(r)

    def add(r: dict, item: str, usd: float | None) -> None:
        lines.append({"resource": r["name"], "type": r["type"], "item": item,
                      "monthly_usd": None if usd is None else round(usd, 2)})

    ipv4_month = prices.value("public_ipv4_hour") * hours
    task_defs = {r["id"]: r for r in by_type.get("aws:ecs/taskDefinition:TaskDefinition", [])}
    scaling_min = {r["inputs"].get("resourceId"): int(r["inputs"].get("minCapacity", 0))
                   for r in by_type.get("aws:appautoscaling/target:Target", [])}
    target_groups = by_type.get("aws:lb/targetGroup:TargetGroup", [])
    health_interval = min((tg["inputs"].get("healthCheck", {}).get("interval", 30) for tg in target_groups),
                          default=30)
    alb_azs = max((len(lb["inputs"].get("subnets") or []) for lb in by_type.get("aws:lb/loadBalancer:LoadBalancer",
                                                                               [])), default=0)
    running = 0

    for svc in by_type.get("aws:ecs/service:Service", []):
        i = svc["inputs"]
        td = task_defs.get(i.get("taskDefinition"), {}).get("inputs", {})
        arch = "arm64" if (td.get("runtimePlatform") or {}).get("cpuArchitecture") == "ARM64" else "x86_64"
        vcpu, gb = int(td.get("cpu", 256)) / 1024, int(td.get("memory", 512)) / 1024
        count = max([int(i.get("desiredCount", 1))] + [m for rid, m in scaling_min.items()
                                                        if rid and str(rid).endswith(f"/{svc['name']}")])
        running += count
        spot = any(s.get("capacityProvider") == "FARGATE_SPOT" for s in i.get("capacityProviderStrategies") or [])
        hourly = vcpu * prices.by("fargate_vcpu_hour", arch) + gb * prices.by("fargate_gb_hour", arch)
        if spot:
            hourly *= 1 - prices.value("fargate_spot_discount")
        add(svc, f"Fargate{' Spot' if spot else ''} {vcpu:g} vCPU / {gb:g} GB {arch} × {count} task"
                 f"{'s' if count != 1 else ''}", count * hourly * hours)
        if (i.get("networkConfiguration") or {}).get("assignPublicIp"):
            add(svc, f"public IPv4 × {count} (one per task)", count * ipv4_month)

    lcu = _lcu(prices, traffic)
    for lb in by_type.get("aws:lb/loadBalancer:LoadBalancer", []):
        azs = len(lb["inputs"].get("subnets") or [])
        add(lb, "Application Load Balancer", prices.value("alb_hour") * hours)
        add(lb, f"ALB capacity units ≈ {lcu:.3f} LCU ({traffic['requests_per_second']:g} req/s)",
            lcu * prices.value("alb_lcu_hour") * hours)
        if not lb["inputs"].get("internal"):
            add(lb, f"public IPv4 × {azs} (one per AZ)", azs * ipv4_month)

    for nat in by_type.get("aws:ec2/natGateway:NatGateway", []):
        add(nat, "NAT gateway", prices.value("nat_gateway_hour") * hours)
        gb = prices.assumptions.get("nat_gb_month", 1)
        add(nat, f"NAT data ≈ {gb} GB", gb * prices.value("nat_gateway_gb"))
    for eip in by_type.get("aws:ec2/eip:Eip", []):
        add(eip, "public IPv4 (Elastic IP)", ipv4_month)

    seconds = hours * 3600
    for group in by_type.get("aws:cloudwatch/logGroup:LogGroup", []):
        health_rps = running * max(alb_azs, 1) / health_interval
        gb = (traffic["requests_per_second"] * traffic["log_bytes_per_request"]
              + health_rps * prices.assumptions["health_check_log_bytes"]) * seconds / 1e9
        add(group, f"logs ≈ {gb:.2f} GB ingested", gb * (prices.value("logs_ingest_gb")
            + prices.assumptions["log_storage_months"] * prices.value("logs_store_gb_month")))

    for repo in by_type.get("aws:ecr/repository:Repository", []):
        gb = prices.assumptions["ecr_stored_gb"]
        add(repo, f"image storage ≈ {gb} GB", gb * prices.value("ecr_gb_month"))
    for secret in by_type.get("aws:secretsmanager/secret:Secret", []):
        add(secret, "Secrets Manager secret", prices.value("secret_month"))

    for env_res in by_type.get("aws:elasticbeanstalk/environment:Environment", []):
        opts = option_settings(env_res)
        itype = opts.get("aws:ec2:instances/InstanceTypes", "t3.micro").split(",")[0]
        load_balanced = opts.get(ENV_TYPE) == "LoadBalanced"
        count = int(opts.get("aws:autoscaling:asg/MinSize", 1)) if load_balanced else 1
        rate = prices.by("ec2_hour", itype)
        if rate is None:
            unknown.append(itype)
        add(env_res, f"EC2 {itype} × {count}", None if rate is None else count * rate * hours)
        volume = prices.assumptions["root_volume_gb"]
        add(env_res, f"EBS gp3 root {volume} GB × {count}", count * volume * prices.value("ebs_gp3_gb_month"))
        public = opts.get("aws:ec2:vpc/AssociatePublicIpAddress", "true") == "true"
        if not load_balanced:
            add(env_res, "public IPv4 (the instance's Elastic IP)", ipv4_month)
        else:
            if public:
                add(env_res, f"public IPv4 × {count} (one per instance)", count * ipv4_month)
            azs = len(opts.get("aws:ec2:vpc/ELBSubnets", "a,b").split(","))
            add(env_res, "Application Load Balancer (created by Elastic Beanstalk)", prices.value("alb_hour") * hours)
            add(env_res, f"ALB capacity units ≈ {lcu:.3f} LCU", lcu * prices.value("alb_lcu_hour") * hours)
            add(env_res, f"public IPv4 × {azs} (load balancer, one per AZ)", azs * ipv4_month)
        if opts.get("aws:elasticbeanstalk:cloudwatch:logs/StreamLogs") == "true":
            gb = traffic["requests_per_second"] * traffic["log_bytes_per_request"] * seconds / 1e9
            add(env_res, f"logs ≈ {gb:.2f} GB ingested", gb * (prices.value("logs_ingest_gb")
                + prices.assumptions["log_storage_months"] * prices.value("logs_store_gb_month")))

    total = sum(line["monthly_usd"] or 0 for line in lines)
    return {
        "monthly_usd": round(total, 2),
        "hours_per_month": hours,
        "lines": lines,
        "incomplete": sorted(set(unknown)),
        "assumptions": {
            "prices": prices.source_note,
            "traffic": f"{env}: {traffic['requests_per_second']:g} req/s, {traffic['kb_per_response']:g} KB "
                       f"responses, {traffic['log_bytes_per_request']} log bytes per request",
            "not costed": "S3 source bundles, data transfer out to the internet, Docker Hub",
        },
    }


def cdk_pattern_plan() -> dict:
    """What the AWS CDK ApplicationLoadBalancedFargateService creates with its defaults, as planned
    resources this model understands: one 0.25 vCPU / 0.5 GB x86 task in private subnets, an ALB in
    2 AZs, a NAT gateway and Elastic IP per AZ, 300 s drains, 30 s × 5 health checks, no circuit
    breaker, min/max healthy 50/200 (measured with `cdk synth`, containerPort 5000)."""
    resources = [
        {"type": "aws:ecs/taskDefinition:TaskDefinition", "name": "cdk-task", "id": "td",
         "inputs": {"cpu": "256", "memory": "512", "runtimePlatform": {"cpuArchitecture": "X86_64"},
                    "containerDefinitions": json.dumps([{"name": "web", "image": "repo:latest",
                                                         "portMappings": [{"containerPort": 5000}]}])}},
        {"type": "aws:ecs/service:Service", "name": "cdk-service", "id": "svc",
         "inputs": {"taskDefinition": "td", "desiredCount": 1, "launchType": "FARGATE",
                    "deploymentMinimumHealthyPercent": 50, "deploymentMaximumPercent": 200,
                    "networkConfiguration": {"assignPublicIp": False, "subnets": ["p1", "p2"]}}},
        {"type": "aws:lb/loadBalancer:LoadBalancer", "name": "cdk-alb", "id": "alb",
         "inputs": {"internal": False, "subnets": ["s1", "s2"]}},
        {"type": "aws:lb/targetGroup:TargetGroup", "name": "cdk-tg", "id": "tg",
         "inputs": {"port": 80, "healthCheck": {"interval": 30, "healthyThreshold": 5}}},
        {"type": "aws:cloudwatch/logGroup:LogGroup", "name": "cdk-logs", "id": "lg", "inputs": {}},
    ]
    for az in (1, 2):
        resources.append({"type": "aws:ec2/natGateway:NatGateway", "name": f"cdk-nat-{az}", "id": f"n{az}",
                          "inputs": {}})
        resources.append({"type": "aws:ec2/eip:Eip", "name": f"cdk-eip-{az}", "id": f"e{az}", "inputs": {}})
    return {"stack": "cdk-pattern", "region": "us-east-1", "resources": resources, "outputs": {}}


def render_lines(cost: dict) -> str:
    out = [f"{line['monthly_usd'] if line['monthly_usd'] is not None else '?':>8}  {line['resource']}: "
           f"{line['item']}" for line in cost["lines"]]
    out.append(f"{cost['monthly_usd']:>8}  total per month ({cost['hours_per_month']} h)")
    if cost["incomplete"]:
        out.append(f"          not priced: {', '.join(cost['incomplete'])} (add to tools/prices.json)")
    out.extend(f"          {k}: {v}" for k, v in cost["assumptions"].items())
    return "\n".join(out)


def main() -> int:
    from tools.plan import make_plan
    from tools.rollout import estimate as rollout
    from tools.runner import committed_stacks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--compare", action="store_true", help="all stacks vs the CDK pattern, as Markdown")
    args = parser.parse_args()
    if not args.compare:
        print(render_lines(estimate(make_plan(args.stack, None))))
        return 0
    print("| stack | resources | NAT gateways | tasks / instances | monthly cost | modelled rollout |")
    print("|---|---|---|---|---|---|")
    plans = [(s, make_plan(s, None)) for s in committed_stacks()] + [("AWS CDK pattern, defaults", cdk_pattern_plan())]
    for name, plan in plans:
        types = [r["type"] for r in plan["resources"]]
        # AWS and Docker resources (a stack reference is read from Pulumi's state, not created).
        count = 37 if name.startswith("AWS CDK") else len([t for t in types if not t.startswith("pulumi:")])
        roll = rollout(plan)
        print(f"| {name} | {count} | {types.count('aws:ec2/natGateway:NatGateway')} | {roll['capacity']} | "
              f"${estimate(plan)['monthly_usd']:.2f} | {roll['seconds']} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

