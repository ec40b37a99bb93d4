"""Offline tools of berth: plan, cost, rollout, preflight, verify, ... (run them with venv/bin/python)."""

import importlib.util
import sys

if importlib.util.find_spec("pulumi") is None:  # a friendlier message than a ModuleNotFoundError trace
    sys.exit("error: the Pulumi SDK is not installed in this Python; run `make venv` and use venv/bin/python "
             "(or `source venv/bin/activate`)")
