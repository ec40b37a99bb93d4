"""A Mermaid diagram of the planned resources and how traffic and images flow between them:
internet -> load balancer -> target group -> tasks (or the Beanstalk environment) <- registry.
GitHub renders it in pull-request comments and the README."""

from __future__ import annotations

import json

from tools.planview import ENV_TYPE, option_settings


def _id(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def mermaid(plan: dict) -> str:
    res = plan["resources"]
    of = {t: [r for r in res if r["type"] == t] for t in {r["type"] for r in res}}
    lines = ["flowchart LR", "  internet((internet))"]
    image = plan["outputs"].get("image_ref", "")
    registry = "ECR" if ".dkr.ecr." in image else "Docker Hub"
    digest = image.split("@sha256:")[-1][:12] if "@sha256:" in image else "?"
    lines.append(f'  registry[("{registry}<br/>@sha256:{digest}…")]')

    for lb in of.get("aws:lb/loadBalancer:LoadBalancer", []):
        ports = sorted(str(li["inputs"].get("port")) for li in of.get("aws:lb/listener:Listener", []))
        azs = len(lb["inputs"].get("subnets") or [])
        lines.append(f'  {_id(lb["name"])}["ALB {lb["name"]}<br/>{azs} AZs"]')
        lines.append(f'  internet -- ":{"/:".join(ports)}" --> {_id(lb["name"])}')
        for tg in of.get("aws:lb/targetGroup:TargetGroup", []):
            hc = tg["inputs"].get("healthCheck") or {}
            lines.append(f'  {_id(tg["name"])}["target group :{tg["inputs"].get("port")}<br/>'
                         f'health {hc.get("path")} every {hc.get("interval")} s"]')
            lines.append(f'  {_id(lb["name"])} --> {_id(tg["name"])}')
    for svc in of.get("aws:ecs/service:Service", []):
        i = svc["inputs"]
        spot = any(s.get("capacityProvider") == "FARGATE_SPOT" for s in i.get("capacityProviderStrategies") or [])
        lines.append(f'  {_id(svc["name"])}["{i.get("desiredCount")} Fargate{" Spot" if spot else ""} task(s)'
                     f'<br/>port {(i.get("loadBalancers") or [{}])[0].get("containerPort")}"]')
        for tg in of.get("aws:lb/targetGroup:TargetGroup", []):
            lines.append(f'  {_id(tg["name"])} --> {_id(svc["name"])}')
        lines.append(f"  registry -. pull by digest .-> {_id(svc['name'])}")
        for group in of.get("aws:cloudwatch/logGroup:LogGroup", []):
            lines.append(f'  {_id(group["name"])}[("logs {group["inputs"].get("name")}<br/>'
                         f'{group["inputs"].get("retentionInDays")} days")]')
            lines.append(f"  {_id(svc['name'])} -- awslogs --> {_id(group['name'])}")
    for nat in of.get("aws:ec2/natGateway:NatGateway", []):
        lines.append(f'  {_id(nat["name"])}["NAT gateway"]')
        for svc in of.get("aws:ecs/service:Service", []):
            lines.append(f"  {_id(svc['name'])} -- egress --> {_id(nat['name'])} --> internet")
    for env in of.get("aws:elasticbeanstalk/environment:Environment", []):
        opts = option_settings(env)
        kind = opts.get(ENV_TYPE, "LoadBalanced")
        front = "ALB" if kind == "LoadBalanced" else "instance nginx :80"
        lines.append(f'  {_id(env["name"])}["Elastic Beanstalk {env["inputs"].get("name")}<br/>{kind}, '
                     f'{opts.get("aws:ec2:instances/InstanceTypes")}"]')
        lines.append(f'  internet -- ":80 via {front}" --> {_id(env["name"])}')
        lines.append(f"  registry -. pull by digest .-> {_id(env['name'])}")
        for obj in of.get("aws:s3/bucketObjectv2:BucketObjectv2", []):
            source = obj["inputs"].get("source")
            if isinstance(source, dict) and "text" in source:
                port = json.loads(source["text"]).get("Ports", [{}])[0].get("ContainerPort")
                lines.append(f'  {_id(obj["name"])}[/"Dockerrun.aws.json<br/>ContainerPort {port}"/]')
                lines.append(f"  {_id(obj['name'])} -. version .-> {_id(env['name'])}")
    return "\n".join(lines) + "\n"
