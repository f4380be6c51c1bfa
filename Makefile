# Healthcare Integration Suite — developer commands. See README.md.
#
# Every variable below can be overridden on the command line or from the environment,
# e.g. `make test PYTHON=.venv/bin/python HC_TEST_DB=hc_ci`.

PYTHON ?= python3
# A script, not `python3 -m odoo`: Odoo reloads by re-executing sys.argv[0] (SIGHUP, a
# thread over its time limit, a module installed from Apps), which odoo/__main__.py cannot.
ODOO ?= $(PYTHON) $(CURDIR)/tools/odoo_server.py
HC_TEST_DB ?= hc_test
HC_DEMO_DB ?= healthcare_demo
HC_HTTP_PORT ?= 8069
# Odoo's test runner serves HttpCase requests on this port (make test-odoo).
HC_TEST_HTTP_PORT ?= 8169
# Demo-only defaults: never use these values for real data.
HC_INTEGRATION_KEY ?= ZGVtby1vbmx5LWtleS1kby1ub3QtdXNlLWluLXByb2Q=
HC_DEMO_WEBHOOK_SECRET ?= whsec_ZGVtby13ZWJob29rLXNlY3JldC1jaGFuZ2UtbWUtISE=
HC_AUDIT_KEY ?= demo-only-audit-key-do-not-use-in-production
HC_DEMO_SCIM_TOKEN ?= demo-scim-token-change-me
export HC_INTEGRATION_KEY HC_DEMO_WEBHOOK_SECRET HC_AUDIT_KEY HC_DEMO_SCIM_TOKEN

ADDONS := healthcare_integration_base,healthcare_hr_sync,healthcare_rcm_sync
comma := ,
# The HR addon's soft dependencies and the declarative templates' modules, installed for
# the tests so that none is skipped.
TEST_EXTRA_ADDONS ?= hr_holidays,hr_attendance,hr_expense,purchase,stock,maintenance,crm,product_expiry
# The demo installs the declarative templates' apps too, so that `make demo-traffic` plays them.
DEMO_EXTRA_ADDONS ?= purchase,stock,maintenance,crm,product_expiry
ADDONS_PATH := $(CURDIR)
# Optional PostgreSQL connection flags for Odoo (default: local socket, current role).
DB_ARGS ?=
ODOO_ARGS = --addons-path=$(ADDONS_PATH) $(DB_ARGS)
TEST_PATHS ?= healthcare_integration_base/tests healthcare_hr_sync/tests healthcare_rcm_sync/tests tests
PYTEST_ARGS ?=

.PHONY: help check check-test-imports test test-odoo demo demo-traffic screenshots lint bench clean-test-db

help:
	@echo "make demo   - create or reuse $(HC_DEMO_DB), install the suite with demo data, start Odoo on :$(HC_HTTP_PORT)"
	@echo "make test   - fresh database $(HC_TEST_DB), install the suite, run every test with pytest-odoo"
	@echo "make test-odoo - fresh database $(HC_TEST_DB), the addons' tests through Odoo's own runner"
	@echo "make demo-traffic - play the HRIS, billing system and clearinghouse against the running demo"
	@echo "make screenshots - README screenshots of the exception desk from the running demo (headless Chromium)"
	@echo "make lint   - run the pre-commit hooks on every file"
	@echo "make bench  - run the benchmarks (they print figures; they are not tests)"

check:
	@$(PYTHON) -c 'import odoo.release as r; assert r.version_info[:2] == (18, 0), r.version' 2>/dev/null || { \
	  echo "ERROR: Odoo 18.0 is not importable by '$(PYTHON)'. Install Odoo 18.0 Community and its" >&2; \
	  echo "       requirements so that '$(PYTHON) -c \"import odoo\"' works (README: Prerequisites)," >&2; \
	  echo "       or point PYTHON at an interpreter that has it." >&2; exit 2; }
	@$(PYTHON) -c 'import pytest_odoo, requests, cryptography, jsonschema' 2>/dev/null || { \
	  echo "ERROR: missing Python requirements: $(PYTHON) -m pip install -r requirements.txt" >&2; exit 2; }
	@$(PYTHON) tools/check_postgres.py $(DB_ARGS) || { \
	  echo "ERROR: PostgreSQL does not answer (README: Prerequisites; .ci/run starts it)." >&2; exit 2; }

clean-test-db: check
	@$(PYTHON) tools/check_postgres.py --drop $(HC_TEST_DB) $(DB_ARGS)

# pytest collects every tests/test_*.py; Odoo's runner only what tests/__init__.py imports.
check-test-imports:
	@$(PYTHON) tools/check_test_imports.py

test: check-test-imports clean-test-db
	@echo "Installing the suite into a fresh database '$(HC_TEST_DB)'..."
	$(ODOO) -d $(HC_TEST_DB) $(ODOO_ARGS) -i $(ADDONS),$(TEST_EXTRA_ADDONS) --without-demo=all \
	  --stop-after-init --log-level=warn --no-http
	$(PYTHON) -m pytest --odoo-database=$(HC_TEST_DB) --odoo-addons-path=$(ADDONS_PATH) \
	  --odoo-http $(PYTEST_ARGS) $(TEST_PATHS)

# The same addon tests through Odoo's own runner (what runbot and OCA CI do); the system
# tests of tests/ start Odoo servers themselves and run under pytest only.
test-odoo: check-test-imports clean-test-db
	$(ODOO) -d $(HC_TEST_DB) $(ODOO_ARGS) -i $(ADDONS),$(TEST_EXTRA_ADDONS) --without-demo=all \
	  --test-enable --test-tags /$(subst $(comma),$(comma)/,$(ADDONS)) --stop-after-init \
	  --http-port=$(HC_TEST_HTTP_PORT) --log-level=test

demo: check
	@HC_DEMO_ADDONS=$(ADDONS),$(DEMO_EXTRA_ADDONS) $(PYTHON) tools/demo_db.py $(HC_DEMO_DB) $(DB_ARGS) || { \
	  echo "Creating '$(HC_DEMO_DB)' with the suite and its demo data..."; \
	  $(ODOO) -d $(HC_DEMO_DB) $(ODOO_ARGS) -i $(ADDONS),$(DEMO_EXTRA_ADDONS) --stop-after-init --log-level=warn --no-http; }
	@echo "Odoo starts on http://localhost:$(HC_HTTP_PORT) (database $(HC_DEMO_DB), login admin/admin)."
	$(ODOO) -d $(HC_DEMO_DB) $(ODOO_ARGS) --http-port=$(HC_HTTP_PORT) --max-cron-threads=2

demo-traffic:
	$(PYTHON) tools/demo_sender.py --url http://localhost:$(HC_HTTP_PORT) --db $(HC_DEMO_DB)

screenshots:
	$(PYTHON) tools/desk_screenshots.py --url http://localhost:$(HC_HTTP_PORT) --db $(HC_DEMO_DB) --grant-accounting

lint:
	$(PYTHON) -m pre_commit run --all-files --show-diff-on-failure

# Every tests/benchmarks/bench_*.py is a stand-alone script that prints its figures;
# one failing benchmark does not stop the others, but makes the target fail at the end.
bench: check
	@failed=""; for script in tests/benchmarks/bench_*.py; do \
	  echo "=== $$script"; $(PYTHON) $$script || failed="$$failed $$script"; echo; \
	done; if [ -n "$$failed" ]; then echo "FAILED:$$failed" >&2; exit 1; fi
