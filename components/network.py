"""Network: where the load balancer and the tasks live.

- mode "default": the account's default VPC and its default subnets in the first `az_count` AZs,
  looked up, nothing created. Cheapest and quickest for a dev stack.
- mode "new": a VPC with one public subnet per AZ (2 by default), an internet gateway and a
  public route table. Tasks get public IPs and are reachable only from the load balancer's
  security group, so no NAT gateway (about $33/month each, plus data) is needed.
  With `nat_gateway=True` it adds private subnets and ONE NAT gateway, and tasks run there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

NetworkMode = Literal["default", "new"]


@dataclass(frozen=True)
class NetworkArgs:
    mode: NetworkMode = "default"
    cidr: str = "10.20.0.0/16"
    az_count: int = 2
    nat_gateway: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


def subnet_cidrs(cidr: str, count: int) -> list[str]:
    """Split `cidr` into equal blocks of 1/16th each and return the first `count` of them.

    Sixteen blocks leave room to add AZs or private subnets later without renumbering.
    """
    net = ipaddress.ip_network(cidr)
    blocks = list(net.subnets(prefixlen_diff=4))
    if count > len(blocks):
        raise ValueError(f"{cidr} cannot hold {count} subnets")
    return [str(b) for b in blocks[:count]]


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    service_subnet_ids: pulumi.Output[list[str]]
    assign_public_ip: bool
    az_count: int | None  # None: as many AZs as the default VPC has

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("berth:index:Network", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)

        if args.mode == "default":
            vpc = aws.ec2.get_vpc_output(default=True, opts=invoke)
            subnets = aws.ec2.get_subnets_output(
                filters=[
                    {"name": "vpc-id", "values": [vpc.id]},
                    # default-for-az: exactly one subnet per AZ, all public.
                    {"name": "default-for-az", "values": ["true"]},
                    # Only `az_count` AZs: an internet-facing ALB pays for a public IPv4 address in
                    # every AZ it spans, and us-east-1's default VPC has six.
                    {"name": "availability-zone", "values": self._zones(args.az_count)},
                ],
                opts=invoke,
            )
            self.vpc_id = vpc.id
            self.public_subnet_ids = subnets.ids.apply(sorted)
            self.service_subnet_ids = self.public_subnet_ids
            self.assign_public_ip = True
            self.az_count = None
        else:
            self._create_vpc(name, args)

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "serviceSubnetIds": self.service_subnet_ids,
                "assignPublicIp": self.assign_public_ip,
            }
        )

    def _zones(self, count: int) -> pulumi.Output[list[str]]:
        """The first `count` AZ names every account can use (opt-in Local Zones would break the ALB)."""
        zones = aws.get_availability_zones_output(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return zones.names.apply(lambda names: sorted(names)[:count])

    def _create_vpc(self, name: str, args: NetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        zones = self._zones(args.az_count)
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": f"{name}-vpc"},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-igw"}, opts=child
        )
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}],
            tags={**tags, "Name": f"{name}-public"},
            opts=child,
        )
        cidrs = subnet_cidrs(args.cidr, args.az_count * (2 if args.nat_gateway else 1))
        public = self._tier(name, "public", vpc.id, cidrs[: args.az_count], zones, public_rt, tags)
        self.vpc_id = vpc.id
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.az_count = args.az_count
        if not args.nat_gateway:
            self.service_subnet_ids = self.public_subnet_ids
            self.assign_public_ip = True
            return

        eip = aws.ec2.Eip(f"{name}-nat-eip", domain="vpc", tags={**tags, "Name": f"{name}-nat"}, opts=child)
        nat = aws.ec2.NatGateway(
            f"{name}-nat",
            allocation_id=eip.id,
            subnet_id=public[0].id,
            tags={**tags, "Name": f"{name}-nat"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
        )
        private_rt = aws.ec2.RouteTable(
            f"{name}-private-rt",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id}],
            tags={**tags, "Name": f"{name}-private"},
            opts=child,
        )
        private = self._tier(name, "private", vpc.id, cidrs[args.az_count :], zones, private_rt, tags)
        self.service_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self.assign_public_ip = False

    def _tier(self, name: str, tier: str, vpc_id: pulumi.Output[str], cidrs: list[str],
              zones: pulumi.Output[list[str]], route_table: aws.ec2.RouteTable,
              tags: Mapping[str, str]) -> list[aws.ec2.Subnet]:
        """One subnet per AZ, each associated with the tier's route table."""
        child = pulumi.ResourceOptions(parent=self)
        subnets = []
        for i, cidr in enumerate(cidrs):
            subnet = aws.ec2.Subnet(
                f"{name}-{tier}-{i}",
                vpc_id=vpc_id,
                cidr_block=cidr,
                availability_zone=zones[i],
                # Tasks get a public IP from ECS explicitly; nothing else should get one by accident.
                map_public_ip_on_launch=False,
                tags={**tags, "Name": f"{name}-{tier}-{i}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-{tier}-{i}-rta", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
            )
            subnets.append(subnet)
        return subnets
