"""berth: build the app image, push it, run it on AWS. Settings -> image -> network -> service -> outputs."""

from pathlib import Path

import pulumi

from components.beanstalk import BeanstalkWebApp
from components.ecs_service import FargateWebService
from components.image import AppImage
from components.network import Network
from components.settings import load

settings = load(Path(__file__).resolve().parent)  # validates everything before any resource exists

image = AppImage(settings.component_name("image"), settings.image, docker_hub_token=settings.docker_hub_token)
network = Network(settings.component_name("net"), settings.network)

pulumi.export("service_kind", settings.service)
pulumi.export("image_ref", image.ref)
pulumi.export("image_name", image.image_name)
pulumi.export("registry", image.registry_server)
pulumi.export("platform", settings.image.platform)
pulumi.export("health_check_path", settings.app.health.path)

if settings.ecs is not None:
    web = FargateWebService(settings.component_name("web"), settings.ecs, image=image, network=network)
    pulumi.export("url", web.url)
    pulumi.export("region", web.region)
    pulumi.export("cluster_name", web.cluster_name)
    pulumi.export("service_name", web.service_name)
    pulumi.export("task_definition_arn", web.task_definition_arn)
    pulumi.export("target_group_arn", web.target_group_arn)
    pulumi.export("log_group_name", web.log_group_name)
else:
    eb = BeanstalkWebApp(settings.component_name("eb"), settings.beanstalk, image=image, network=network)
    pulumi.export("url", eb.url)
    pulumi.export("region", eb.region)
    pulumi.export("application_name", eb.application_name)
    pulumi.export("environment_name", eb.environment_name)
    pulumi.export("version_label", eb.version_label)
