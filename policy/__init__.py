"""berth's Pulumi policy pack: `policies` (the rules), `offline` (run them on a mock plan), and
`__main__.py` (what the Pulumi CLI runs with `--policy-pack policy`)."""
