"""Shared fixtures: the real program run under the recording mocks (tools.mockcloud).

`plan(stack, **overrides)` runs `__main__.py` for a committed stack with optional config
overrides and returns a `tools.runner.ProgramRun`: every registered resource with its inputs
(camelCase, as the provider receives them), parent and options, plus the awaited stack outputs.
Runs of committed stacks without overrides are cached for the session.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tools.runner import ProgramRun, run_stack

_cache: dict[str, ProgramRun] = {}


def run(stack: str = "dev", **overrides: Any) -> ProgramRun:
    if overrides:
        return run_stack(stack, overrides)
    if stack not in _cache:
        _cache[stack] = run_stack(stack)
    return _cache[stack]


@pytest.fixture
def plan():
    return run


def container_definitions(run_: ProgramRun) -> list[dict]:
    td = run_.one("aws:ecs/taskDefinition:TaskDefinition")
    return json.loads(td.inputs["containerDefinitions"])


HUB = {
    "registry": "dockerhub",
    "dockerHubRepository": "yourusername/catnip",
    "dockerHubToken": {"secure": "dckr_pat_not-a-real-token"},
}
