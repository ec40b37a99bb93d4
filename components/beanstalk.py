"""BeanstalkWebApp: the same digest-pinned image on Elastic Beanstalk's Docker platform (Amazon
Linux 2023), container port mapped through the platform's nginx proxy.

The source bundle is a bare `Dockerrun.aws.json` (version 1) in a private S3 bucket; each image
digest is its own application version, so the same image is a no-op and a new image a new
deployment. Option settings are emitted sorted, with `resource` always "" and canonical string
values, so a second preview shows no `~ settings` diff.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.app_spec import AppSpec
from components.image import AppImage
from components.network import Network

# The platform branch berth targets; a pinned `berth:solutionStack` must match it too.
SOLUTION_STACK_REGEX = r"^64bit Amazon Linux 2023 (.*) running Docker$"
ENVIRONMENT_TYPES = ("SingleInstance", "LoadBalanced")
DEPLOYMENT_POLICIES = ("AllAtOnce", "Rolling", "RollingWithAdditionalBatch", "Immutable", "TrafficSplitting")
# Policies that never take capacity away while a deployment runs (what production wants).
SAFE_POLICIES = ("Immutable", "RollingWithAdditionalBatch", "TrafficSplitting")
# Single-instance environments have no load balancer to shift traffic behind.
SINGLE_INSTANCE_POLICIES = ("AllAtOnce", "Immutable")
# `docker login` writes credentials for Docker Hub under this server key.
DOCKER_HUB_AUTH_SERVER = "https://index.docker.io/v1/"
MANAGED = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True)
class BeanstalkArgs:
    app: AppSpec
    application_name: str  # e.g. "catnip-tutorial"
    environment_name: str  # 4-40 chars, checked by the settings loader
    platform: str  # the image's build platform; must match the instance type's CPU
    instance_type: str = "t3.micro"
    environment_type: str = "SingleInstance"
    deployment_policy: str = "AllAtOnce"
    solution_stack: str | None = None  # None: the newest AL2023 Docker platform at creation
    min_instances: int = 1
    max_instances: int = 1
    cpu_target_percent: int = 60
    certificate_arn: str | None = None
    ecr_pull: bool = True  # the image lives in ECR: the instances may pull from it
    keep_versions: int = 10
    production: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


def instance_architecture(instance_type: str) -> str:
    """The CPU an EC2 instance type runs: Graviton families carry a "g" after the generation
    digit (t4g, m7g, c6gn, r6gd, x2gd ...) or are a1; everything else is x86_64."""
    family = instance_type.split(".", 1)[0]
    if family == "a1" or re.fullmatch(r"[a-z]+\d+[a-z]*g[a-z]*", family):
        return "linux/arm64"
    return "linux/amd64"


def version_label(app_name: str, image_ref: str) -> str:
    """`<app>-<first 12 hex of the digest>`: one label per image, the same label for the same image."""
    return f"{app_name}-{image_ref.rsplit('@sha256:', 1)[1][:12]}"


def dockerrun(image_ref: str, port: int, auth_bucket: str | None = None, auth_key: str | None = None) -> dict:
    """A Dockerrun.aws.json v1 document. `Ports` is what the platform's nginx proxies to; without
    it every request is a 502."""
    doc: dict = {"AWSEBDockerrunVersion": "1", "Image": {"Name": image_ref}, "Ports": [{"ContainerPort": port}]}
    if auth_bucket:
        doc["Authentication"] = {"Bucket": auth_bucket, "Key": auth_key}
    return doc


def docker_auth_file(username: str, token: str) -> dict:
    """Registry credentials in the layout `docker login` writes to ~/.docker/config.json.

    Elastic Beanstalk's Amazon Linux 2 (and later) Docker platforms read this newer layout as is;
    only the retired Amazon Linux AMI platform wanted the flattened pre-1.7 `.dockercfg` layout
    (EB developer guide, "Configuring Docker environments": "Docker configuration on Amazon Linux
    AMI (preceding Amazon Linux 2)"). The S3 object is still named `.dockercfg`, as the guide says.
    """
    auth = base64.b64encode(f"{username}:{token}".encode()).decode()
    return {"auths": {DOCKER_HUB_AUTH_SERVER: {"auth": auth}}}


def option(namespace: str, name: str, value: pulumi.Input[str]) -> dict:
    return {"namespace": namespace, "name": name, "value": value, "resource": ""}


def canonical(value: object) -> pulumi.Input[str]:
    """Elastic Beanstalk stores every option value as a string; send the form it returns."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return value  # type: ignore[return-value]


def _trust(service: str, condition: dict | None = None) -> pulumi.Output[str]:
    statement: dict = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [statement]})


class BeanstalkWebApp(pulumi.ComponentResource):
    url: pulumi.Output[str]
    application_name: pulumi.Output[str]
    environment_name: pulumi.Output[str]
    version_label: pulumi.Output[str]
    region: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: BeanstalkArgs,
        image: AppImage,
        network: Network,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("berth:index:BeanstalkWebApp", name, None, opts)
        if image.platform != args.platform or instance_architecture(args.instance_type) != args.platform:
            raise ValueError(
                f"image platform {image.platform}, service platform {args.platform} and instance type "
                f"{args.instance_type} ({instance_architecture(args.instance_type)}) must all agree"
            )
        app = args.app
        tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self.region = aws.get_region_output(opts=invoke).region

        # --- Private bucket for source bundles (and the registry auth file, if any).
        bucket = aws.s3.Bucket(
            f"{name}-bundles",
            bucket_prefix=f"{args.application_name}-"[:37],
            # Non-production stacks can be destroyed with their bundles inside.
            force_destroy=not args.production,
            tags=tags,
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-bundles-private",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )

        label = image.ref.apply(lambda ref: version_label(app.name, ref))
        auth_key = None
        auth_object = None
        if image.pull_credentials is not None:
            creds = image.pull_credentials
            auth_key = label.apply(lambda lbl: f"versions/{lbl}/.dockercfg")
            auth_object = aws.s3.BucketObjectv2(
                f"{name}-registry-auth",
                bucket=bucket.id,
                key=auth_key,
                # A secret Output: the token stays encrypted in the stack's state.
                content=pulumi.Output.json_dumps(
                    creds.password.apply(lambda token: docker_auth_file(creds.username, token))
                ),
                content_type="application/json",
                server_side_encryption="AES256",
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )

        document = pulumi.Output.json_dumps(
            pulumi.Output.all(image.ref, bucket.id, auth_key).apply(
                lambda v: dockerrun(v[0], app.port, v[1] if v[2] else None, v[2])
            )
        )
        # Each version keeps its own object and version record after it is replaced, so Elastic
        # Beanstalk can roll back to it; the application's lifecycle rule prunes old ones.
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        bundle = aws.s3.BucketObjectv2(
            f"{name}-dockerrun",
            bucket=bucket.id,
            key=label.apply(lambda lbl: f"versions/{lbl}/Dockerrun.aws.json"),
            source=document.apply(pulumi.StringAsset),
            content_type="application/json",
            server_side_encryption="AES256",
            opts=keep,
        )

        # --- IAM: instances (web tier, ECR pull or the auth object) and the service role.
        instance_role = aws.iam.Role(
            f"{name}-instance-role",
            assume_role_policy=_trust("ec2.amazonaws.com"),
            description=f"Elastic Beanstalk instances of {args.environment_name}",
            tags=tags,
            opts=child,
        )
        instance_policies = [MANAGED + "AWSElasticBeanstalkWebTier"]
        if args.ecr_pull:
            instance_policies.append(MANAGED + "AmazonEC2ContainerRegistryReadOnly")
        aws.iam.RolePolicyAttachmentsExclusive(
            f"{name}-instance-policies", role_name=instance_role.name, policy_arns=instance_policies, opts=child
        )
        if auth_object is not None:
            aws.iam.RolePolicy(
                f"{name}-instance-read-auth",
                role=instance_role.id,
                policy=pulumi.Output.json_dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "s3:GetObject",
                                "Resource": pulumi.Output.concat(bucket.arn, "/", auth_object.key),
                            }
                        ],
                    }
                ),
                opts=child,
            )
        profile = aws.iam.InstanceProfile(f"{name}-instance-profile", role=instance_role.name, tags=tags,
                                          opts=child)
        service_role = aws.iam.Role(
            f"{name}-service-role",
            # The external id Elastic Beanstalk presents when it assumes its service role.
            assume_role_policy=_trust(
                "elasticbeanstalk.amazonaws.com", {"StringEquals": {"sts:ExternalId": "elasticbeanstalk"}}
            ),
            description=f"Elastic Beanstalk service role of {args.environment_name}",
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicyAttachmentsExclusive(
            f"{name}-service-policies",
            role_name=service_role.name,
            policy_arns=[
                MANAGED + "service-role/AWSElasticBeanstalkEnhancedHealth",
                MANAGED + "AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy",
            ],
            opts=child,
        )

        # --- Application, version, environment.
        application = aws.elasticbeanstalk.Application(
            f"{name}-app",
            name=args.application_name,
            description=f"berth: {app.name}",
            appversion_lifecycle={
                "service_role": service_role.arn,
                "max_count": args.keep_versions,
                "delete_source_from_s3": True,
            },
            tags=tags,
            opts=child,
        )
        version = aws.elasticbeanstalk.ApplicationVersion(
            f"{name}-version",
            name=label,
            application=application.name,
            bucket=bucket.id,
            key=bundle.key,
            description=image.ref,
            tags=tags,
            opts=keep,
        )

        stack_name: pulumi.Input[str]
        if args.solution_stack:
            stack_name = args.solution_stack
        else:
            stack_name = aws.elasticbeanstalk.get_solution_stack_output(
                most_recent=True, name_regex=SOLUTION_STACK_REGEX, opts=invoke
            ).name

        environment = aws.elasticbeanstalk.Environment(
            f"{name}-env",
            name=args.environment_name,
            application=application.name,
            # Referencing the version resource orders the environment after it exists.
            version=version.name,
            solution_stack_name=stack_name,
            tier="WebServer",
            settings=self._settings(args, network, profile.name, service_role.arn),
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.production,
                # An unpinned platform is resolved once; managed platform updates keep it current
                # afterwards, and berth must not fight them with a diff on every preview.
                ignore_changes=None if args.solution_stack else ["solutionStackName"],
            ),
        )

        scheme = "https" if args.certificate_arn and args.environment_type == "LoadBalanced" else "http"
        self.url = pulumi.Output.concat(scheme, "://", environment.cname)
        self.application_name = application.name
        self.environment_name = environment.name
        self.version_label = version.name
        self.register_outputs(
            {
                "url": self.url,
                "applicationName": self.application_name,
                "environmentName": self.environment_name,
                "versionLabel": self.version_label,
                "region": self.region,
            }
        )

    @staticmethod
    def _settings(
        args: BeanstalkArgs,
        network: Network,
        instance_profile: pulumi.Input[str],
        service_role_arn: pulumi.Input[str],
    ) -> list[dict]:
        app, health = args.app, args.app.health
        load_balanced = args.environment_type == "LoadBalanced"
        values: dict[tuple[str, str], pulumi.Input[str]] = {
            ("aws:autoscaling:launchconfiguration", "IamInstanceProfile"): instance_profile,
            ("aws:autoscaling:launchconfiguration", "DisableIMDSv1"): "true",
            ("aws:autoscaling:launchconfiguration", "RootVolumeType"): "gp3",
            ("aws:ec2:instances", "InstanceTypes"): args.instance_type,
            ("aws:elasticbeanstalk:application", "Application Healthcheck URL"): health.path,
            ("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs"): "true",
            ("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays"): app.log_retention_days,
            ("aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate"): "false",
            ("aws:elasticbeanstalk:command", "DeploymentPolicy"): args.deployment_policy,
            ("aws:elasticbeanstalk:environment", "EnvironmentType"): args.environment_type,
            ("aws:elasticbeanstalk:environment", "ServiceRole"): service_role_arn,
            ("aws:elasticbeanstalk:healthreporting:system", "SystemType"): "enhanced",
            ("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled"): "true",
            ("aws:elasticbeanstalk:managedactions", "PreferredStartTime"): "Sun:03:00",
            ("aws:elasticbeanstalk:managedactions:platformupdate", "UpdateLevel"): "minor",
        }
        for var, val in app.environment_with_port:
            values[("aws:elasticbeanstalk:application:environment", var)] = val
        if args.deployment_policy in ("Rolling", "RollingWithAdditionalBatch"):
            values[("aws:elasticbeanstalk:command", "BatchSizeType")] = "Percentage"
            values[("aws:elasticbeanstalk:command", "BatchSize")] = "50"
        if load_balanced:
            process = "aws:elasticbeanstalk:environment:process:default"
            values.update({
                ("aws:elasticbeanstalk:environment", "LoadBalancerType"): "application",
                ("aws:autoscaling:asg", "MinSize"): args.min_instances,
                ("aws:autoscaling:asg", "MaxSize"): args.max_instances,
                # Scale on CPU, not on the platform default (NetworkOut).
                ("aws:autoscaling:trigger", "MeasureName"): "CPUUtilization",
                ("aws:autoscaling:trigger", "Statistic"): "Average",
                ("aws:autoscaling:trigger", "Unit"): "Percent",
                ("aws:autoscaling:trigger", "UpperThreshold"): args.cpu_target_percent,
                ("aws:autoscaling:trigger", "LowerThreshold"): max(5, args.cpu_target_percent - 30),
                (process, "HealthCheckPath"): health.path,
                (process, "HealthCheckInterval"): health.interval,
                (process, "HealthCheckTimeout"): health.timeout,
                (process, "HealthyThresholdCount"): health.healthy_threshold,
                (process, "UnhealthyThresholdCount"): health.unhealthy_threshold,
                (process, "DeregistrationTimeout"): health.deregistration_delay,
                (process, "MatcherHTTPCode"): "200-399",
            })
            if args.certificate_arn:
                listener = "aws:elbv2:listener:443"
                values.update({
                    (listener, "ListenerEnabled"): "true",
                    (listener, "Protocol"): "HTTPS",
                    (listener, "SSLCertificateArns"): args.certificate_arn,
                    (listener, "SSLPolicy"): "ELBSecurityPolicy-TLS13-1-2-2021-06",
                })
        if network.az_count is not None:  # a VPC of this stack's own; the default VPC needs nothing
            joined: pulumi.Output[str] = network.service_subnet_ids.apply(",".join)
            values.update({
                ("aws:ec2:vpc", "VPCId"): network.vpc_id,
                ("aws:ec2:vpc", "Subnets"): joined,
                ("aws:ec2:vpc", "AssociatePublicIpAddress"): network.assign_public_ip,
            })
            if load_balanced:
                values[("aws:ec2:vpc", "ELBSubnets")] = network.public_subnet_ids.apply(",".join)
        return [option(ns, n, canonical(v)) for (ns, n), v in sorted(values.items())]

