"""The whole program: every committed stack plans, components follow the conventions, outputs are
complete, a bad setting stops the program before anything is registered."""

from __future__ import annotations

import contextlib
import json

import pytest
from conftest import HUB

from components.settings import SettingsError
from tools.runner import committed_stacks, run_stack

STACKS = committed_stacks()


def test_the_committed_stacks_are_the_environments():
    assert {"dev", "staging", "prod"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_committed_stack_plans(plan, stack):
    run = plan(stack)
    assert run.outputs["url"].startswith("http")
    assert "@sha256:" in run.outputs["image_ref"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_component_registers_outputs_once_at_the_end(plan, stack):
    run = plan(stack)
    components = [r for r in run.resources if not r.custom]
    assert len(components) >= 3
    missing = [c.name for c in components if c.urn not in run.outputs_registered]
    assert missing == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_child_has_a_component_parent_and_its_prefix(plan, stack):
    run = plan(stack)
    by_urn = {r.urn: r for r in run.resources}
    for r in run.custom:
        parent = by_urn.get(r.parent)
        assert parent is not None and not parent.custom, f"{r.type} {r.name} is not parented to a component"
        assert r.name.startswith(parent.name + "-"), f"{r.name} lacks the prefix {parent.name}-"
    for c in (r for r in run.resources if not r.custom):
        assert c.parent == run.stack_urn  # components hang off the stack


def test_the_convention_checks_can_fail():
    """A component that forgets parent=self and register_outputs is caught by the checks above."""
    import pulumi

    from tools.mockcloud import CloudMocks, RecordingMonitor

    class Sloppy(pulumi.ComponentResource):
        def __init__(self, name):
            super().__init__("test:index:Sloppy", name)
            pulumi.CustomResource("test:index:Thing", "thing")  # no parent, no prefix

    mocks = CloudMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.settings.set_root_resource(None)
    pulumi.runtime.set_mocks(mocks, project="berth", stack="t", preview=False, monitor=monitor)

    @pulumi.runtime.test
    def build():
        Sloppy("sloppy")

    # The mock provider does not know test:index:Thing; the registrations are what matter.
    with contextlib.suppress(Exception):
        build()
    comp = next(r for r in monitor.recorded if r.type == "test:index:Sloppy")
    assert comp.urn not in monitor.outputs_registered
    thing = next(r for r in monitor.recorded if r.type == "test:index:Thing")
    assert thing.parent != comp.urn


def test_dev_stays_small(plan):
    run = plan("dev")
    assert len(run.custom) <= 20  # the CDK pattern creates 37 for the same job


def test_outputs_a_verifier_needs(plan):
    outputs = plan("dev").outputs
    for key in ("url", "image_ref", "registry", "cluster_name", "service_name", "task_definition_arn",
                "target_group_arn", "health_check_path", "service_kind", "log_group_name", "region"):
        assert outputs[key], key
    assert outputs["registry"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert outputs["task_definition_arn"].endswith(":task-definition/catnip-dev:1")


def test_no_output_is_a_secret_or_holds_one(plan):
    run = plan("dev", **HUB, dockerHubPrivate=True)
    assert run.secret_outputs == set()
    assert "dckr_pat" not in json.dumps(run.outputs)


def test_two_runs_register_identical_inputs(plan):
    """Nothing random or order-dependent leaks into inputs: a second preview shows no diff."""
    def inputs(run):
        # Registration order is not part of a diff; each resource's inputs are, byte for byte.
        return {(r.type, r.name): json.dumps(r.inputs, default=repr) for r in run.custom}

    first, second = inputs(run_stack("prod")), inputs(run_stack("prod"))
    assert len(first) > 20 and first == second


def test_a_bad_setting_stops_the_program_before_any_resource(plan):
    from tools.mockcloud import CloudMocks, RecordingMonitor  # noqa: F401  (same engine as plan)
    from tools.runner import read_stack_config, run_program

    config = read_stack_config("dev")
    config.values["berth:port"] = "70000"
    import tools.runner as runner

    seen = []
    original = runner.RecordingMonitor

    class Spy(original):
        def RegisterResource(self, request):
            seen.append(request.type)
            return super().RegisterResource(request)

    runner.RecordingMonitor = Spy
    try:
        with pytest.raises(SettingsError, match="berth:port = '70000' is not allowed"):
            run_program(config)
    finally:
        runner.RecordingMonitor = original
    assert [t for t in seen if t != "pulumi:pulumi:Stack"] == []
