# SecretSource Operator. `make demo` runs the main job end to end on a local
# embedded environment; `make test` runs every check CI runs.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.package-lock.json

.PHONY: help install tools dev-up dev-down manifests lint typecheck test-unit test-e2e test build run demo bench bench-compare

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP) ## install npm dependencies (Node 24 comes with them)

tools: ## build or download the test servers into the tools cache (first run only)
	e2e/tools/install.sh

dev-up: install tools ## start the local control plane and backends; writes e2e/.run/env
	e2e/env/dev-up.sh

dev-down: ## stop the local environment
	e2e/env/dev-down.sh

manifests: install ## regenerate crds/ and the API types from the JSON schemas
	npm run --silent manifests

lint: install ## eslint and prettier
	npm run --silent lint

typecheck: install ## TypeScript type check
	npm run --silent typecheck

test-unit: install ## unit tests (no servers)
	npm run --silent test:unit

test-e2e: install tools ## e2e tests against the local environment (started and stopped if not up)
	e2e/run-e2e.sh

test: install ## everything CI runs: lint, type check, unit and e2e tests
	@e2e/verdict.sh "make test" $(MAKE) --no-print-directory lint typecheck test-unit test-e2e

build: install ## compile to dist/
	npm run --silent build

run: install ## run the operator against KUBECONFIG, else the make dev-up environment (ARGS="--namespaces demo")
	e2e/env/run-operator.sh $(ARGS)

demo: install ## the main job end to end: environment, CRDs, OpenBao, a SecretSource, the operator
	@e2e/verdict.sh "make demo" e2e/demo.sh

bench: install tools ## benchmark scenarios on the compiled operator (N=1000; SCENARIOS=cold,steady)
	e2e/bench.sh

bench-compare: install tools ## the same scenarios for External Secrets Operator too (built from the Go proxy)
	COMPARE=1 e2e/bench.sh
