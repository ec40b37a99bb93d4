"""What the web app needs from any service that runs it (ECS Fargate or Elastic Beanstalk).

These are plain, validated values: the settings loader builds them, the service components
read them. Keeping one description of the app means both services map the same port, probe
the same health path and pass the same environment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HealthCheck:
    """Load balancer health check and draining, tuned for fast rollouts (AWS defaults in brackets)."""

    path: str = "/health"
    interval: int = 5  # seconds between checks [30]
    timeout: int = 4  # must stay below the interval [5]
    healthy_threshold: int = 2  # passing checks before a target takes traffic [5]
    unhealthy_threshold: int = 2  # failing checks before a target is pulled [2]
    # AWS's guidance for apps that answer in under a second is 5 s; in-flight requests still finish.
    deregistration_delay: int = 5  # seconds an old target drains [300]
    grace_period: int = 30  # seconds ECS ignores a new task's failing checks [0]

    @property
    def seconds_to_healthy(self) -> int:
        return self.interval * self.healthy_threshold


@dataclass(frozen=True)
class AppSpec:
    name: str  # container / application name, e.g. "catnip"
    port: int  # the port the app listens on inside the container (5000)
    environment: tuple[tuple[str, str], ...]  # sorted (name, value) pairs, no secrets
    secrets: tuple[tuple[str, str], ...]  # sorted (name, Secrets Manager or SSM parameter ARN)
    health: HealthCheck
    log_retention_days: int
    stop_timeout: int  # seconds between SIGTERM and SIGKILL

    @property
    def environment_with_port(self) -> tuple[tuple[str, str], ...]:
        """The environment the container gets: the app's settings plus PORT, sorted for stable diffs."""
        return tuple(sorted({**dict(self.environment), "PORT": str(self.port)}.items()))
