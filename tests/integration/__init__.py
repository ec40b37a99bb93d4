"""Opt-in tests against real AWS (BERTH_IT=1); skipped otherwise. See test_deploy.py."""
