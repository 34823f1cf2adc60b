# The platform's two commands are `make up` and `make test` (README.md). Everything they need is
# installed by the project's own files: uv (pinned) into .cache/bootstrap, Python packages from
# uv.lock into .venv, Kafka's jars and Keycloak's distribution from Maven Central, PostgreSQL from
# Debian's package.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c
UV_VERSION := 0.13.9
UV := .cache/bootstrap/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
DEMO_AGREEMENTS ?= 2000
DEMO_SEED ?= 1
BENCH_ARGS ?=
# pytest-xdist workers (`TEST_WORKERS=0`: one process), each a run of its own with its own platform
# on its own test slot (tests/conftest.py); a test file stays on one worker (its module fixtures are
# set up once). The suite mostly waits on Kafka, PostgreSQL, HTTP, the browser and the chaos test's
# restarts, so three workers overlap their waits on two cores: 397 s of tests on two, 318 s on three,
# back to back (README, Tests).
TEST_WORKERS ?= 3
DASHBOARD := http://127.0.0.1:$${KSD_REPORTING_PORT:-8084}/
# More than one of everything (README, "Scale-out locally"): `make up KSD_KAFKA_NODES=3 KSD_REPLICAS=2`
# runs a three-broker cluster and two processes of each service. Every client is given the
# cluster's brokers (one broker: 127.0.0.1:9092, as before).
export KSD_KAFKA_BOOTSTRAP ?= $(shell KSD_KAFKA_NODES=$(KSD_KAFKA_NODES) KSD_KAFKA_PORT=$(KSD_KAFKA_PORT) \
  KSD_KAFKA_DATA=$(KSD_KAFKA_DATA) deploy/local/kafka.sh bootstrap)

.PHONY: install infra up down clean test chaos demo bench lint schemas k8s help
help:
	@echo "make up | down | clean | test | chaos | demo | bench | lint | schemas | k8s"

$(UV):
	python3 -m venv .cache/bootstrap
	.cache/bootstrap/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled here, once, because this machine sets PYTHONDONTWRITEBYTECODE=1: without it
# every service start, `ksd` call and test subprocess compiles all its imports again (`ksd --help`
# took 4.5-7.7 s). uv compiles the whole site-packages; the workspace's own sources (installed
# editable, so outside site-packages) are compiled on every `make install`, only the files that
# changed, and a stale .pyc is never used (Python checks the source's mtime).
.venv/.synced: $(UV) uv.lock pyproject.toml $(wildcard */pyproject.toml services/*/pyproject.toml) Makefile
	$(UV) sync --frozen --quiet --compile-bytecode
	touch $@

install: .venv/.synced
	.venv/bin/python -m compileall -q -j 0 contracts/src services/*/src tools/src

# Kafka, PostgreSQL, Keycloak (the identity provider) and Mailpit (the mail server reminders go
# through): Docker Compose when a Docker engine answers, local processes otherwise. Then who may do
# what (ksd_common.access): a PostgreSQL role per service owning its database, Kafka's topics and
# ACLs (idempotent). Local Keycloak is launched in the background (its first build and start take
# over a minute, and nothing but a person's sign-in needs it): what uses it waits for it
# ($(keycloak_ready); the test suite, Keycloak.ready in tests/conftest.py). Kafka and Mailpit start
# beside PostgreSQL (none needs another; Keycloak needs PostgreSQL); any of them failing fails it.
infra: install
	if docker info >/dev/null 2>&1; then docker compose up -d --wait kafka postgres keycloak mailpit; \
	else deploy/local/mail.sh start & mail=$$!; deploy/local/kafka.sh start & kafka=$$!; \
	  deploy/local/postgres.sh start && deploy/local/keycloak.sh launch && wait $$kafka && wait $$mail; fi
	.venv/bin/python -m ksd_common.access setup

keycloak_ready = if ! docker info >/dev/null 2>&1; then deploy/local/keycloak.sh wait; fi

up: infra
	if docker info >/dev/null 2>&1; then docker compose up -d --build --wait; else deploy/local/services.sh start; fi
	$(demo_load)
	$(keycloak_ready)
	echo
	echo "Dashboard: $(DASHBOARD)"
	echo "Ruang Kerja (the regions' workspace; sign in with a Keycloak account): http://127.0.0.1:$${KSD_INTAKE_PORT:-8081}/ruang-kerja/"
	echo "Demo token (directorate): $$(cat .data/demo-token)"
	echo "Keycloak (accounts and machine clients, realm ksd): http://127.0.0.1:8180/admin/ (local admin: admin/admin)"
	echo "Mail sent by the platform (reminders), local Mailpit: http://127.0.0.1:8025/"

down:
	if docker info >/dev/null 2>&1; then docker compose stop; fi
	deploy/local/services.sh stop
	deploy/local/kafka.sh stop
	deploy/local/keycloak.sh stop
	deploy/local/mail.sh stop
	deploy/local/postgres.sh stop

clean: down
	if docker info >/dev/null 2>&1; then docker compose down -v; fi
	deploy/local/postgres.sh drop && deploy/local/postgres.sh stop
	rm -rf .data

test: infra
	deploy/local/chromium.sh  # Debian's headless Chromium for the browser tests and the audit PDF, when missing
	deploy/local/poppler.sh  # pdftoppm and pdftotext for the audit report's PDF test, when missing
	deploy/local/asyncapi.sh  # the official AsyncAPI parser (npm, pinned by tests/asyncapi/package-lock.json)
	deploy/local/k8s-tools.sh  # kustomize and the operators' CRDs, to render and validate deploy/k8s (once)
	deploy/local/k6.sh  # k6, the bench's native load generator (built once by go install, pinned)
	# Keycloak is not waited for here: the tests that use it wait for its realm (tests/conftest.py,
	# Keycloak.ready), so its start (a minute on a fresh machine) overlaps the suite's first files.
	.venv/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The chaos suite's long form (tests/chaos): each test on a platform of its own, so nothing else on the
# machine is disturbed. test_faults (KSD_CHAOS=long): every service SIGKILLed, the broker stopped and
# PostgreSQL restarted, three rounds in a random order under a 200-agreement simulation, on its own
# broker and PostgreSQL server (ports 19100-19199); `make test` runs its short form. test_scale_out
# (marked chaos_long, left out of `make test`): three brokers and two replicas of each service.
# Figures are printed (-s).
chaos: infra
	$(keycloak_ready)
	KSD_CHAOS=long .venv/bin/python -m pytest -m "" tests/chaos -s

# The 546 governments as simulated nodes submit realistic lifecycles through the public API, each in
# batches as a node's own system sends them (`--batches`: round after round, a lifecycle's order kept). Loaded
# once (.data/demo-loaded): legal dates follow the day, so another day's plan would differ under the
# same idempotency keys. `rm .data/demo-loaded` to load again (a new seed: DEMO_SEED=2).
# One recipe for `make demo` and `make up` (not `$(MAKE) demo`, which `make -n up` would run).
define demo_load
mkdir -p .data
# A demo token the platform no longer knows (its databases were recreated) is replaced.
known=$$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $$(cat .data/demo-token 2>/dev/null)" \
  http://127.0.0.1:$${KSD_INTAKE_PORT:-8081}/v1/submissions/00000000-0000-0000-0000-000000000000 || true)
[ "$$known" = 404 ] || .venv/bin/ksd admin token create --role directorate --label demo >.data/demo-token
if [ -e .data/demo-loaded ]; then echo "demo: loaded already ($$(cat .data/demo-loaded))"
else .venv/bin/ksd simulate --agreements $(DEMO_AGREEMENTS) --seed $(DEMO_SEED) --batches
  echo "$(DEMO_AGREEMENTS) agreements, seed $(DEMO_SEED), $$(date -u +%FT%TZ)" >.data/demo-loaded; fi
endef

demo: install
	$(demo_load)

# Default scale: under 30 minutes on 2 cores. The full scale:
#   make bench BENCH_ARGS="--burst-per-node 200 --curve 10k,100k,1M"
# The benchmarks make scratch topics and act as any service: as Kafka's setup user (README, "Who may touch what inside").
bench: infra
	deploy/local/k6.sh
	$(keycloak_ready)
	KSD_KAFKA_USER=$${KSD_KAFKA_USER:-ksd_setup} .venv/bin/ksd bench $(BENCH_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/mypy contracts/src services/*/src tools/src tests

schemas: install
	.venv/bin/python -m ksd_contracts.schemas

# deploy/k8s/generated/ from the code (topics, Kafka users, databases, the services), in production names.
k8s: install
	env -u KSD_TOPIC_PREFIX -u KSD_GROUP_PREFIX .venv/bin/python -m ksd_tools.k8s
