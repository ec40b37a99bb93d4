"""What the Pulumi CLI runs for `pulumi preview --policy-pack policy` (as `python policy/`, so this
directory is on sys.path). Only builds the pack: PolicyPack(...) starts the analyzer's gRPC server
and blocks until the engine is done; the rules live in policies.py, shared with policy.offline."""

from policies import PACK_DESCRIPTION, PACK_NAME, POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description=PACK_DESCRIPTION,
)
