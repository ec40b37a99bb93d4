# The README's commands. `make plan` and `make test` create ./venv on first use and reuse it
# until a requirements file changes (the stamp file's name is a hash of all of them).
PYTHON ?= python3
VENV   := venv
PY     := $(VENV)/bin/python
REQS   := requirements.txt requirements-dev.txt app/requirements.txt
STAMP  := $(VENV)/.installed-$(shell cat $(REQS) | sha256sum | cut -c1-16)
STACK  ?= dev

.PHONY: venv plan plan-json summary diagram cost preflight policy test lint fmt bench schema up preview destroy verify

venv: $(STAMP)

$(STAMP): $(REQS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

plan: venv  ## the dev stack's full plan, offline (STACK=prod for another)
	@$(PY) -m tools.plan --stack $(STACK)

plan-json: venv
	@$(PY) -m tools.plan --stack $(STACK) --json

summary: venv  ## the pull-request summary of a stack (BASE=plan.json to compare)
	@$(PY) -m tools.plan --stack $(STACK) --markdown $(if $(BASE),--base $(BASE))

diagram: venv
	@$(PY) -m tools.plan --stack $(STACK) --mermaid

cost: venv  ## monthly cost lines of a stack; COMPARE=1 for every stack next to the CDK pattern
	@$(PY) -m tools.cost $(if $(COMPARE),--compare,--stack $(STACK))

preflight: venv  ## every committed stack against AWS's API models
	@$(PY) -m tools.preflight --all

policy: venv  ## the policy pack, offline, on a stack
	@$(PY) -m policy.offline --stack $(STACK)

test: venv lint  ## lint, then the whole test suite
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .

fmt: venv
	$(VENV)/bin/ruff check --fix .

bench: venv  ## plan time per stack, test-suite time, resources per stack -> README figures
	$(PY) -m tools.bench

schema: venv  ## regenerate Pulumi.yaml, the README config table and dev diagram
	$(PY) -m tools.schema --write

# Real deployments: need the Pulumi CLI, a Docker daemon and AWS credentials.
preview: venv
	pulumi preview --stack $(STACK) --diff

up: venv
	pulumi up --stack $(STACK)

verify: venv  ## after `make up`: the rollout, its health and a live probe (needs AWS credentials)
	$(PY) -m tools.verify --stack $(STACK)

destroy: venv
	pulumi destroy --stack $(STACK)
