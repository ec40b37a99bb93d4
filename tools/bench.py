"""Benchmarks for the README's numbers (`make bench`): wall time of `tools.plan` per stack, of the
whole test suite, and the resources each stack plans. Prints a Markdown table.

    python -m tools.bench              # plans x3 per stack + one test-suite run
    python -m tools.bench --no-tests   # plans only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

from tools.runner import ROOT, committed_stacks

CDK_PATTERN_RESOURCES = 37  # `cdk synth` of ApplicationLoadBalancedFargateService, containerPort 5000


def _timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-tests", action="store_true")
    args = parser.parse_args()

    rows = []
    for stack in committed_stacks():
        times = []
        for _ in range(args.repeat):
            seconds, result = _timed([sys.executable, "-m", "tools.plan", "--stack", stack, "--json"])
            if result.returncode != 0:
                print(f"{stack}: plan failed: {result.stderr.strip()}", file=sys.stderr)
                return 1
            times.append(seconds)
        plan = json.loads(result.stdout)
        rows.append((stack, statistics.median(times), plan["summary"]["resources"]))

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print()
    print(f"| stack | `tools.plan` wall time (median of {args.repeat}) | resources planned "
          f"| vs CDK pattern ({CDK_PATTERN_RESOURCES}) |")
    print("|---|---|---|---|")
    for stack, seconds, count in rows:
        print(f"| {stack} | {seconds:.2f} s | {count} | {count - CDK_PATTERN_RESOURCES:+d} |")
    if not args.no_tests:
        seconds, result = _timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
        summary = (result.stdout.strip().splitlines() or ["?"])[-1]
        print()
        print(f"test suite: {seconds:.1f} s wall ({summary})")
        if result.returncode != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
