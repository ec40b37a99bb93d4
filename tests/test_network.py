"""Network: default VPC (nothing created) or a 2-AZ public VPC; a NAT gateway only when asked."""

from __future__ import annotations

import pytest

from components.network import subnet_cidrs

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"


def test_default_vpc_is_looked_up_and_nothing_is_created(plan):
    run = plan("dev")
    created = [r.type for r in run.custom if r.type.startswith("aws:ec2/")]
    assert created == ["aws:ec2/securityGroup:SecurityGroup"] * 2  # the ALB's and the tasks', nothing else
    tokens = [t for t, _ in run.invokes]
    assert "aws:ec2/getVpc:getVpc" in tokens
    subnets_call = next(a for t, a in run.invokes if t == "aws:ec2/getSubnets:getSubnets")
    assert {"name": "default-for-az", "values": ["true"]} in subnets_call["filters"]
    # Two AZs only: every AZ an internet-facing ALB spans costs a public IPv4 address.
    assert {"name": "availability-zone", "values": ["us-east-1a", "us-east-1b"]} in subnets_call["filters"]
    service = run.one("aws:ecs/service:Service")
    assert service.inputs["networkConfiguration"]["assignPublicIp"] is True
    assert len(service.inputs["networkConfiguration"]["subnets"]) == 2
    assert len(run.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"]) == 2


def test_new_vpc_has_public_subnets_in_two_azs_and_no_nat(plan):
    run = plan("staging")
    subnets = run.of_type(SUBNET)
    assert sorted(s.inputs["availabilityZone"] for s in subnets) == ["us-east-1a", "us-east-1b"]
    assert {s.inputs["cidrBlock"] for s in subnets} == {"10.21.0.0/20", "10.21.16.0/20"}
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    assert not run.of_type(NAT)
    rt = run.one("aws:ec2/routeTable:RouteTable")
    igw = run.one("aws:ec2/internetGateway:InternetGateway")
    assert rt.inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": igw.id}]
    assert len(run.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")) == 2
    alb = run.one("aws:lb/loadBalancer:LoadBalancer")
    assert sorted(alb.inputs["subnets"]) == sorted(s.id for s in subnets)


def test_nat_gateway_is_one_and_puts_tasks_in_private_subnets(plan):
    run = plan("staging", natGateway=True)
    assert len(run.of_type(NAT)) == 1
    private = [s for s in run.of_type(SUBNET) if "private" in s.name]
    assert len(private) == 2
    nc = run.one("aws:ecs/service:Service").inputs["networkConfiguration"]
    assert sorted(nc["subnets"]) == sorted(s.id for s in private)
    assert nc["assignPublicIp"] is False
    private_rt = next(r for r in run.of_type("aws:ec2/routeTable:RouteTable") if "private" in r.name)
    assert private_rt.inputs["routes"][0]["natGatewayId"] == run.one(NAT).id


def test_subnet_cidrs_split_into_sixteenths():
    assert subnet_cidrs("10.20.0.0/16", 3) == ["10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"]
    assert subnet_cidrs("10.0.0.0/24", 2) == ["10.0.0.0/28", "10.0.0.16/28"]
    with pytest.raises(ValueError):
        subnet_cidrs("10.0.0.0/24", 17)
