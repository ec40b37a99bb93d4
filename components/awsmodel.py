"""AWS's own API rules, read from the service models that botocore ships.

Where AWS publishes a constraint in its API model (a name pattern, a length, a numeric range,
an enum) berth reads it from there instead of keeping a second, hand-written copy that could
drift. Loading a model takes a few milliseconds and is cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import botocore.session
from botocore.model import Shape


@dataclass(frozen=True)
class MemberRule:
    """The constraints the model declares for one request member."""

    where: str  # e.g. "ecr CreateRepository.repositoryName"
    type_name: str
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()

    def problems(self, value: object) -> list[str]:
        """What is wrong with `value` under this rule (empty when it passes)."""
        found: list[str] = []
        if self.type_name == "string" and isinstance(value, str):
            if self.min is not None and len(value) < self.min:
                found.append(f"shorter than {self.min} characters")
            if self.max is not None and len(value) > self.max:
                found.append(f"longer than {self.max} characters")
            if self.pattern and not re.fullmatch(self.pattern, value):
                found.append(f"does not match the pattern {self.pattern}")
            if self.enum and value not in self.enum:
                found.append(f"not one of {', '.join(self.enum)}")
        elif self.type_name in ("integer", "long") and isinstance(value, int):
            if self.min is not None and value < self.min:
                found.append(f"below the minimum {self.min}")
            if self.max is not None and value > self.max:
                found.append(f"above the maximum {self.max}")
        return found

    def describe(self) -> str:
        """A short human description of what the rule allows."""
        parts: list[str] = []
        if self.type_name == "string":
            if self.min is not None or self.max is not None:
                parts.append(f"{self.min or 0}-{self.max if self.max is not None else '∞'} characters")
            if self.pattern:
                parts.append(f"matching {self.pattern}")
            if self.enum:
                parts.append("one of " + ", ".join(self.enum))
        elif self.min is not None or self.max is not None:
            parts.append(f"{self.min}-{self.max}")
        return ", ".join(parts) + f" ({self.where})"


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model(service: str):
    return _session().get_service_model(service)


def input_shape(service: str, operation: str) -> Shape:
    return service_model(service).operation_model(operation).input_shape


def rule_for_shape(shape: Shape, where: str) -> MemberRule:
    meta = shape.metadata
    return MemberRule(
        where=where,
        type_name=shape.type_name,
        min=meta.get("min"),
        max=meta.get("max"),
        pattern=meta.get("pattern"),
        enum=tuple(getattr(shape, "enum", None) or ()),
    )


@cache
def member_rule(service: str, operation: str, member: str) -> MemberRule:
    """The rule for a top-level request member, e.g. ("ecr", "CreateRepository", "repositoryName")."""
    shape = input_shape(service, operation).members[member]
    return rule_for_shape(shape, f"{service} {operation}.{member}")
