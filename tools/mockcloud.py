"""A recording stand-in for the Pulumi engine and the AWS/Docker providers.

`RecordingMonitor` sees every resource registration the program makes, keeps its type, name,
parent, options and inputs (camelCase, as a provider would receive them; secrets kept as
`Secret`), and answers with realistic computed outputs: ARNs, ECR repository URLs, an image
digest derived from the build context's content, ALB DNS names, Beanstalk CNAMEs, and the
invokes the program makes (caller identity, default VPC and subnets, ECR token, ...).

Used by `tools.plan` (the offline plan) and by the tests, so both see the same cloud.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Secret:
    """An input the program marked secret. Printing it never shows the value."""

    value: Any

    def __repr__(self) -> str:
        return "Secret([secret])"


@dataclass
class Recorded:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    id: str = ""
    protect: bool = False
    dependencies: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)


def _short(*parts: str, n: int = 8) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def _wrap_secrets(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return Secret(_wrap_secrets(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {k: _wrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wrap_secrets(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire format has only doubles; the program wrote an int
    if isinstance(value, pulumi.StringAsset):
        return {"text": value.text}  # an asset's content, as the provider would upload it
    return value


def reveal(value: Any) -> Any:
    """The value with every Secret unwrapped (for tests that check what a secret holds)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def _region() -> str:
    return runtime_config.get_config("aws:region") or DEFAULT_REGION


def _dockerignore_patterns(context: Path) -> list[str]:
    path = context / ".dockerignore"
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line.removeprefix("**/").rstrip("/") for line in lines if line and not line.startswith("#")]


def context_digest(context: Path, dockerfile: Path, platform: str) -> str:
    """sha256 over what a build would see: the context's files (minus .dockerignore), the
    Dockerfile and the platform. The same source always gives the same digest, any change a new one."""
    ignored = _dockerignore_patterns(context)
    h = hashlib.sha256(platform.encode())
    for root, dirs, files in os.walk(context):
        rel_root = Path(root).relative_to(context)
        dirs[:] = sorted(d for d in dirs if not _ignored(rel_root / d, ignored))
        for name in sorted(files):
            rel = rel_root / name
            if _ignored(rel, ignored):
                continue
            h.update(str(rel).encode() + b"\0" + (Path(root) / name).read_bytes())
    if dockerfile.is_file():
        h.update(b"Dockerfile\0" + dockerfile.read_bytes())
    return h.hexdigest()


def _ignored(rel: Path, patterns: list[str]) -> bool:
    text = rel.as_posix()
    return any(fnmatch.fnmatch(text, p) or fnmatch.fnmatch(rel.name, p) for p in patterns)


def referenced_stack_outputs(full_name: str) -> dict[str, Any]:
    """What a committed stack of this project would export after `pulumi up`, so a stack that
    promotes its image (berth:imageFrom) plans against realistic outputs. Unknown stacks export
    nothing, as a stack that was never deployed."""
    import yaml

    stack = full_name.rsplit("/", 1)[-1]
    project_file, stack_file = Path("Pulumi.yaml"), Path(f"Pulumi.{stack}.yaml")
    if not stack_file.is_file() or not project_file.is_file():
        return {}
    project = yaml.safe_load(project_file.read_text())
    values = {k: v["default"] for k, v in project["config"].items() if "default" in v}
    values.update((yaml.safe_load(stack_file.read_text()) or {}).get("config") or {})
    if values.get("berth:imageFrom"):  # a promoted stack exports what its own source runs
        return referenced_stack_outputs(str(values["berth:imageFrom"]))
    platform = values["berth:platform"]
    context = Path(values["berth:appPath"])
    digest = context_digest(context, context / values["berth:dockerfile"], platform)
    region = values.get("aws:region", DEFAULT_REGION)
    if values["berth:registry"] == "dockerhub":
        repo = f"docker.io/{values['berth:dockerHubRepository']}"
    else:
        repo = (f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/"
                f"{values['berth:ecrRepository'] or values['berth:appName']}-{stack}")
    return {"image_ref": f"{repo}@sha256:{digest}", "platform": platform, "registry": repo.split("/", 1)[0]}


class CloudMocks(pulumi.runtime.Mocks):
    """Computed outputs for resources and answers for invokes, as AWS would give them."""

    def __init__(self) -> None:
        self.invokes: list[tuple[str, dict]] = []
        self.revisions: dict[str, int] = {}

    # ---- invokes -------------------------------------------------------------------------------
    def call(self, args: MockCallArgs):
        region = _region()
        self.invokes.append((args.token, dict(args.args)))
        token = args.token
        if token == "aws:index/getRegion:getRegion":
            return {"id": region, "region": region, "name": region, "endpoint": f"ec2.{region}.amazonaws.com",
                    "description": region}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/deployer", "id": ACCOUNT,
                    "userId": "AIDAEXAMPLE"}
        if token == "aws:index/getPartition:getPartition":
            return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com",
                    "reverseDnsPrefix": "com.amazonaws"}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{s}" for s in "abcd"]
            return {"id": region, "names": names, "zoneIds": [f"use1-az{i}" for i in range(1, 5)],
                    "groupNames": [region] * 4, "state": "available"}
        if token == "aws:ec2/getVpc:getVpc":
            return {"id": "vpc-0d3fa017c0ffee000", "arn": f"arn:aws:ec2:{region}:{ACCOUNT}:vpc/vpc-0d3fa017c0ffee000",
                    "cidrBlock": "172.31.0.0/16", "default": True, "state": "available"}
        if token == "aws:ec2/getSubnets:getSubnets":
            # One default subnet per AZ, as in a real default VPC; honour an availability-zone filter.
            filters = {f["name"]: f["values"] for f in args.args.get("filters", [])}
            zones = filters.get("availability-zone") or [f"{region}{z}" for z in "abcdef"]
            return {"id": region, "ids": [f"subnet-0default{z[-1]}000000" for z in zones],
                    "filters": args.args.get("filters", [])}
        if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            password = "mock-ecr-password"
            return {"id": region, "userName": "AWS", "password": password,
                    "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
                    "proxyEndpoint": f"https://{ACCOUNT}.dkr.ecr.{region}.amazonaws.com",
                    "expiresAt": "2030-01-01T00:00:00Z"}
        if token == "aws:elasticbeanstalk/getSolutionStack:getSolutionStack":
            return {"id": region, "name": "64bit Amazon Linux 2023 v4.7.2 running Docker",
                    "nameRegex": args.args.get("nameRegex", "")}
        if token == "pulumi:pulumi:getStack":
            return {}
        raise NotImplementedError(f"the offline cloud does not answer {token}")

    # ---- resources -----------------------------------------------------------------------------
    def new_resource(self, args: MockResourceArgs):
        inputs = dict(args.inputs)
        if args.typ == "pulumi:pulumi:StackReference":  # read, not registered: `custom` is unset
            name = inputs["name"]
            return name, {"name": name, "outputs": referenced_stack_outputs(name), "secretOutputNames": []}
        if not args.custom:
            return args.name, inputs
        region = _region()
        typ, name = args.typ, args.name
        h = _short(typ, name)
        physical = inputs.get("name") or f"{name}-{h[:7]}"
        arn_base = f"arn:aws:{{svc}}:{region}:{ACCOUNT}"
        out: dict[str, Any] = {**inputs}

        def arn(svc: str, rest: str) -> str:
            return arn_base.format(svc=svc) + ":" + rest

        if typ == "docker:index/image:Image":
            build = inputs.get("build") or {}
            image_name = str(inputs.get("imageName", name))
            repo = image_name.rsplit(":", 1)[0] if ":" in image_name.split("/")[-1] else image_name
            context = Path(build.get("context", "."))
            dockerfile = Path(build.get("dockerfile") or context / "Dockerfile")
            digest = context_digest(context, dockerfile, build.get("platform", "linux/amd64"))
            out.update(repoDigest=f"{repo}@sha256:{digest}", baseImageName=image_name,
                       registryServer=(inputs.get("registry") or {}).get("server", "docker.io"),
                       context=str(context), dockerfile=str(dockerfile), platform=build.get("platform"))
            return f"{repo}@sha256:{digest}", out
        if typ == "aws:ecr/repository:Repository":
            out.update(name=physical, registryId=ACCOUNT, arn=arn("ecr", f"repository/{physical}"),
                       repositoryUrl=f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{physical}")
            return physical, out
        if typ == "aws:ecs/taskDefinition:TaskDefinition":
            family = inputs.get("family", physical)
            self.revisions[family] = self.revisions.get(family, 0) + 1
            rev = self.revisions[family]
            out.update(revision=rev, arn=arn("ecs", f"task-definition/{family}:{rev}"),
                       arnWithoutRevision=arn("ecs", f"task-definition/{family}"))
            return out["arn"], out
        if typ == "aws:ecs/cluster:Cluster":
            out.update(name=physical, arn=arn("ecs", f"cluster/{physical}"))
            return out["arn"], out
        if typ == "aws:ecs/service:Service":
            cluster = str(inputs.get("cluster", "")).rsplit("/", 1)[-1]
            out.update(name=physical, arn=arn("ecs", f"service/{cluster}/{physical}"))
            return out["arn"], out
        if typ == "aws:lb/loadBalancer:LoadBalancer":
            lb_name = physical[:32]
            suffix = f"app/{lb_name}/{h}{h}"
            out.update(name=lb_name, arn=arn("elasticloadbalancing", f"loadbalancer/{suffix}"), arnSuffix=suffix,
                       dnsName=f"{lb_name}-{int(h, 16) % 10**10}.{region}.elb.amazonaws.com",
                       zoneId="Z35SXDOTRQ7X7K")
            return out["arn"], out
        if typ == "aws:lb/targetGroup:TargetGroup":
            tg_name = physical[:32]
            suffix = f"targetgroup/{tg_name}/{h}{h}"
            out.update(name=tg_name, arn=arn("elasticloadbalancing", suffix), arnSuffix=suffix)
            return out["arn"], out
        if typ == "aws:lb/listener:Listener":
            out.update(arn=arn("elasticloadbalancing", f"listener/app/{name}/{h}"))
            return out["arn"], out
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            out.update(name=physical, arn=arn("logs", f"log-group:{physical}"))
            return physical, out
        if typ == "aws:iam/role:Role":
            out.update(name=physical, arn=f"arn:aws:iam::{ACCOUNT}:role/{physical}", uniqueId=f"AROA{h.upper()}")
            return physical, out
        if typ == "aws:iam/instanceProfile:InstanceProfile":
            out.update(name=physical, arn=f"arn:aws:iam::{ACCOUNT}:instance-profile/{physical}")
            return physical, out
        if typ == "aws:secretsmanager/secret:Secret":
            out.update(name=physical, arn=arn("secretsmanager", f"secret:{physical}-{h[:6]}"))
            return out["arn"], out
        if typ == "aws:s3/bucket:Bucket" or typ == "aws:s3/bucketV2:BucketV2":
            bucket = inputs.get("bucket") or f"{inputs.get('bucketPrefix') or name + '-'}{h}"
            out.update(bucket=bucket, arn=f"arn:aws:s3:::{bucket}", bucketDomainName=f"{bucket}.s3.amazonaws.com")
            return bucket, out
        if typ == "aws:elasticbeanstalk/environment:Environment":
            env_name = inputs.get("name", physical)
            out.update(name=env_name, cname=f"{env_name}.{h[:6]}.{region}.elasticbeanstalk.com",
                       endpointUrl=f"awseb-{h[:8]}.{region}.elb.amazonaws.com",
                       arn=arn("elasticbeanstalk", f"environment/{inputs.get('application')}/{env_name}"))
            return f"e-{h[:10]}", out
        if typ.startswith("aws:elasticbeanstalk/"):
            out.update(name=physical, arn=arn("elasticbeanstalk", f"application/{physical}"))
            return physical, out
        prefixes = {
            "aws:ec2/securityGroup:SecurityGroup": "sg", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
            "sgr", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr", "aws:ec2/vpc:Vpc": "vpc",
            "aws:ec2/subnet:Subnet": "subnet", "aws:ec2/internetGateway:InternetGateway": "igw",
            "aws:ec2/routeTable:RouteTable": "rtb", "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
            "aws:ec2/eip:Eip": "eipalloc", "aws:ec2/natGateway:NatGateway": "nat",
        }
        if typ in prefixes:
            rid = f"{prefixes[typ]}-0{h}{h[:9]}"
            out.setdefault("arn", arn("ec2", f"{prefixes[typ]}/{rid}"))
            if typ == "aws:ec2/eip:Eip":
                out.update(publicIp=f"203.0.113.{int(h[:2], 16) % 250 + 1}")
            return rid, out
        out.setdefault("arn", arn(typ.split(":")[1].split("/")[0], f"{name}/{h}"))
        return f"{name}-{h}", out


class RecordingMonitor(MockMonitor):
    """The mock engine, plus a record of each registration's parent, options and outputs."""

    def __init__(self, mocks: CloudMocks) -> None:
        super().__init__(mocks)
        self.recorded: list[Recorded] = []
        self.outputs_registered: set[str] = set()
        self.component_outputs: dict[str, dict[str, Any]] = {}

    def _record(self, request, response, properties, *, custom: bool, protect: bool = False,
                ignore_changes: list[str] | None = None) -> None:
        registration = self.resources[response.urn]
        self.recorded.append(
            Recorded(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                custom=custom,
                inputs=_wrap_secrets(rpc.deserialize_properties(properties, keep_internal=False)),
                id=registration.id or "",
                protect=protect,
                dependencies=list(request.dependencies),
                ignore_changes=ignore_changes or [],
                outputs=_wrap_secrets(registration.state),
            )
        )

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self._record(request, response, request.object, custom=request.custom, protect=bool(request.protect),
                         ignore_changes=list(request.ignoreChanges))
        return response

    def ReadResource(self, request):
        # Reads (a StackReference, for one) are part of the plan too: record them like registrations.
        response = super().ReadResource(request)
        self._record(request, response, request.properties, custom=True)
        return response

    def RegisterResourceOutputs(self, request):
        self.outputs_registered.add(request.urn)
        self.component_outputs[request.urn] = _wrap_secrets(rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)
