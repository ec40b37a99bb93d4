"""FargateWebService: the app on ECS Fargate behind an internet-facing Application Load Balancer.

Defaults aim at a fast, safe, cheap rollout (the AWS defaults they replace in brackets):
circuit breaker with rollback [off], min/max healthy 100/200 [same], health check every 5 s with
healthy threshold 2 [30 s x 5], deregistration delay 15 s [300 s], tasks reachable only from the
load balancer's security group [n/a], log retention set [never expires].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.app_spec import AppSpec
from components.image import AppImage
from components.network import Network

CPU_ARCHITECTURE = {"linux/amd64": "X86_64", "linux/arm64": "ARM64"}
# Modern TLS only (TLS 1.3 + 1.2); the ELB default policy still allows TLS 1.0.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


@dataclass(frozen=True)
class FargateServiceArgs:
    app: AppSpec
    family: str  # task definition family, e.g. "catnip-dev"
    log_group_name: str
    platform: str  # must equal the image's build platform
    cpu: int = 256
    memory: int = 512
    desired_count: int = 1
    min_count: int = 1
    max_count: int = 1  # > min_count turns on CPU target tracking
    cpu_target_percent: int = 60
    spot: bool = False
    wait_for_steady_state: bool = True
    container_insights: bool = False
    certificate_arn: str | None = None
    ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    production: bool = False  # deletion protection and `protect` on what must not vanish
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def autoscaling(self) -> bool:
        return self.max_count > self.min_count


def _trust_policy(service: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    # aws:SourceAccount stops another account's service from assuming the role (confused deputy).
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ],
        }
    )


def secret_read_statements(arns: Sequence[pulumi.Input[str]]) -> list[dict]:
    """IAM statements that let ECS read exactly these Secrets Manager secrets / SSM parameters.

    A `valueFrom` may pick one JSON key of a secret (`<secret arn>:<key>::`); IAM wants the bare
    secret ARN, which is the first seven colon-separated fields.
    """
    secrets: list[pulumi.Input[str]] = []
    params: list[str] = []
    for arn in arns:
        if isinstance(arn, str) and arn.split(":")[2] == "ssm":
            params.append(arn)
        elif isinstance(arn, str):
            secrets.append(":".join(arn.split(":")[:7]))
        else:
            secrets.append(arn)  # a secret this component created
    statements = []
    if secrets:
        statements.append({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secrets})
    if params:
        statements.append({"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": params})
    return statements


class FargateWebService(pulumi.ComponentResource):
    url: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    load_balancer_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    region: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: FargateServiceArgs,
        image: AppImage,
        network: Network,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("berth:index:FargateWebService", name, None, opts)
        if image.platform != args.platform:
            # Building for one CPU and running on another ends in "exec format error" at start-up.
            raise ValueError(
                f"image platform {image.platform} does not match the service platform {args.platform}"
            )
        app = args.app
        tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.production)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        caller = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke).partition

        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[
                {"name": "containerInsights", "value": "enabled" if args.container_insights else "disabled"}
            ],
            tags=tags,
            opts=child,
        )
        spot_providers = None
        # FARGATE_SPOT runs ARM64 tasks on platform version 1.4.0 and later (ECS API reference,
        # CapacityProviderStrategyItem); older developer-guide pages still say x86 only.
        if args.spot:
            spot_providers = aws.ecs.ClusterCapacityProviders(
                f"{name}-capacity",
                cluster_name=cluster.name,
                capacity_providers=["FARGATE", "FARGATE_SPOT"],
                default_capacity_provider_strategies=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}],
                opts=child,
            )

        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=args.log_group_name,
            retention_in_days=app.log_retention_days,
            tags=tags,
            opts=keep,
        )

        # --- IAM: the execution role may pull the image, write logs and read the named secrets only.
        execution_role = aws.iam.Role(
            f"{name}-execution-role",
            assume_role_policy=_trust_policy("ecs-tasks.amazonaws.com", caller.account_id),
            description=f"ECS task execution role for {args.family}",
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-execution-policy",
            role=execution_role.name,
            policy_arn=pulumi.Output.concat(
                "arn:", partition, ":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
            ),
            opts=child,
        )
        readable: list[pulumi.Input[str]] = [arn for _, arn in app.secrets]
        repository_credentials = None
        if image.pull_credentials is not None:
            hub_secret = aws.secretsmanager.Secret(
                f"{name}-registry-credentials",
                description=f"Docker Hub pull credentials for {args.family}",
                # Non-production stacks can be destroyed and recreated at once.
                recovery_window_in_days=7 if args.production else 0,
                tags=tags,
                opts=child,
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-registry-credentials-value",
                secret_id=hub_secret.id,
                secret_string=pulumi.Output.secret(
                    pulumi.Output.json_dumps(
                        {
                            "username": image.pull_credentials.username,
                            "password": image.pull_credentials.password,
                        }
                    )
                ),
                opts=child,
            )
            readable.append(hub_secret.arn)
            repository_credentials = {"credentialsParameter": hub_secret.arn}
        if readable:
            aws.iam.RolePolicy(
                f"{name}-execution-secrets",
                role=execution_role.id,
                policy=pulumi.Output.json_dumps(
                    {"Version": "2012-10-17", "Statement": secret_read_statements(readable)}
                ),
                opts=child,
            )

        # --- Task definition. The container definition is one JSON document built from Outputs,
        # with sorted lists and no nulls, so an unchanged app yields a byte-identical document.
        container: dict = {
            "name": app.name,
            "image": image.ref,
            "essential": True,
            "portMappings": [
                {
                    "name": "http",
                    "containerPort": app.port,
                    "hostPort": app.port,  # awsvpc: the host port is always the container port
                    "protocol": "tcp",
                    "appProtocol": "http",
                }
            ],
            "environment": [{"name": k, "value": v} for k, v in app.environment_with_port],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": logs.name,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": app.name,
                    # A slow CloudWatch Logs endpoint must never block the app's stdout.
                    "mode": "non-blocking",
                    "max-buffer-size": "25m",
                },
            },
            "stopTimeout": app.stop_timeout,
        }
        if app.secrets:
            container["secrets"] = [{"name": k, "valueFrom": arn} for k, arn in app.secrets]
        if repository_credentials:
            container["repositoryCredentials"] = repository_credentials

        task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=args.family,
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            execution_role_arn=execution_role.arn,
            runtime_platform={
                "operating_system_family": "LINUX",
                "cpu_architecture": CPU_ARCHITECTURE[args.platform],
            },
            container_definitions=pulumi.Output.json_dumps([container]),
            tags=tags,
            opts=child,
        )

        # --- Security groups: world -> ALB on 80/443; ALB -> tasks on the app port; nothing else in.
        alb_sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=network.vpc_id,
            description=f"Load balancer of {args.family}: HTTP(S) in, app port out to the tasks",
            tags={**tags, "Name": f"{name}-alb"},
            opts=child,
        )
        task_sg = aws.ec2.SecurityGroup(
            f"{name}-task-sg",
            vpc_id=network.vpc_id,
            description=f"Tasks of {args.family}: app port from the load balancer only",
            tags={**tags, "Name": f"{name}-tasks"},
            opts=child,
        )
        listener_ports = [80, 443] if args.certificate_arn else [80]
        for port in listener_ports:
            for cidr in args.ingress_cidrs:
                # Named after the CIDR, not its position: adding or removing one CIDR never renames
                # (and so never re-creates, colliding with itself) the rules of the others.
                slug = cidr.replace(".", "-").replace("/", "-")
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-alb-in-{port}-{slug}",
                    security_group_id=alb_sg.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                    description=f"HTTP{'S' if port == 443 else ''} from {cidr}",
                    opts=child,
                )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-out-app",
            security_group_id=alb_sg.id,
            ip_protocol="tcp",
            from_port=app.port,
            to_port=app.port,
            referenced_security_group_id=task_sg.id,
            description="to the tasks on the app port",
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-task-in-app",
            security_group_id=task_sg.id,
            ip_protocol="tcp",
            from_port=app.port,
            to_port=app.port,
            referenced_security_group_id=alb_sg.id,
            description="app port from the load balancer only",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-task-out-all",
            security_group_id=task_sg.id,
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            description="image pulls, logs, secrets and outbound calls of the app",
            opts=child,
        )

        # --- Load balancer, target group and listeners.
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            security_groups=[alb_sg.id],
            subnets=network.public_subnet_ids,
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.production,
            tags=tags,
            opts=keep,
        )
        health = app.health
        target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            port=app.port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=network.vpc_id,
            deregistration_delay=health.deregistration_delay,
            health_check={
                "enabled": True,
                "path": health.path,
                "port": "traffic-port",
                "protocol": "HTTP",
                "matcher": "200-399",
                "interval": health.interval,
                "timeout": health.timeout,
                "healthy_threshold": health.healthy_threshold,
                "unhealthy_threshold": health.unhealthy_threshold,
            },
            tags=tags,
            opts=child,
        )
        forward = [{"type": "forward", "target_group_arn": target_group.arn}]
        listeners = []
        if args.certificate_arn:
            listeners.append(
                aws.lb.Listener(
                    f"{name}-https",
                    load_balancer_arn=alb.arn,
                    port=443,
                    protocol="HTTPS",
                    ssl_policy=TLS_POLICY,
                    certificate_arn=args.certificate_arn,
                    default_actions=forward,
                    tags=tags,
                    opts=child,
                )
            )
            http_actions = [
                {
                    "type": "redirect",
                    "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"},
                }
            ]
        else:
            http_actions = forward
        listeners.append(
            aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=http_actions,
                tags=tags,
                opts=child,
            )
        )

        # --- The service. It must wait for the listeners: ECS refuses a target group that is not
        # yet attached to a load balancer.
        depends_on: list[pulumi.Resource] = list(listeners)
        if spot_providers is not None:
            depends_on.append(spot_providers)
        service = aws.ecs.Service(
            f"{name}-service",
            cluster=cluster.arn,
            task_definition=task_definition.arn,
            desired_count=args.desired_count,
            launch_type=None if args.spot else "FARGATE",
            capacity_provider_strategies=(
                [{"capacity_provider": "FARGATE_SPOT", "weight": 1}] if args.spot else None
            ),
            platform_version="LATEST",
            network_configuration={
                "subnets": network.service_subnet_ids,
                "security_groups": [task_sg.id],
                "assign_public_ip": network.assign_public_ip,
            },
            load_balancers=[
                {
                    "target_group_arn": target_group.arn,
                    "container_name": app.name,
                    "container_port": app.port,
                }
            ],
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            health_check_grace_period_seconds=health.grace_period,
            availability_zone_rebalancing="ENABLED",
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=args.wait_for_steady_state,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=depends_on,
                # With autoscaling on, the scaler owns the running count; `pulumi up` must not reset it.
                ignore_changes=["desiredCount"] if args.autoscaling else None,
            ),
        )

        if args.autoscaling:
            target = aws.appautoscaling.Target(
                f"{name}-scaling-target",
                service_namespace="ecs",
                scalable_dimension="ecs:service:DesiredCount",
                resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
                min_capacity=args.min_count,
                max_capacity=args.max_count,
                opts=child,
            )
            aws.appautoscaling.Policy(
                f"{name}-scaling-cpu",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": args.cpu_target_percent,
                    "predefined_metric_specification": {
                        "predefined_metric_type": "ECSServiceAverageCPUUtilization"
                    },
                    "scale_in_cooldown": 120,
                    "scale_out_cooldown": 30,
                },
                opts=child,
            )

        scheme = "https" if args.certificate_arn else "http"
        self.url = pulumi.Output.concat(scheme, "://", alb.dns_name)
        self.cluster_name = cluster.name
        self.service_name = service.name
        self.task_definition_arn = task_definition.arn
        self.target_group_arn = target_group.arn
        self.load_balancer_arn = alb.arn
        self.log_group_name = logs.name
        self.region = region
        self.register_outputs(
            {
                "url": self.url,
                "clusterName": self.cluster_name,
                "serviceName": self.service_name,
                "taskDefinitionArn": self.task_definition_arn,
                "targetGroupArn": self.target_group_arn,
                "loadBalancerArn": self.load_balancer_arn,
                "logGroupName": self.log_group_name,
                "region": self.region,
            }
        )
