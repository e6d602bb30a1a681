# Two commands set up a fresh machine: `make run` (the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED_DATA ?= $(abspath ../shared/data)
SEEDS ?= $(abspath ../shared/seeds)
DB ?= var/trialatlas.db
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers for make test (whole test files per worker, so a file's fixtures are built once).
TEST_WORKERS ?= 2
export TRIALATLAS_SHARED_DATA := $(SHARED_DATA)

SAMPLE_INPUTS := \
	$(SHARED_DATA)/ctgov_legacy_xml_2023/ctgov_legacy_xml_feb2023.tar.gz \
	$(SHARED_DATA)/ctgov_api_v2_samples/ctgov_api_v2_studies.jsonl.gz \
	$(SHARED_DATA)/ctgov_api_v2_samples/csv_export \
	$(SHARED_DATA)/ctgov_legacy_xml_2023/ctgov_search_results_legacy_export.csv \
	$(SHARED_DATA)/ctgov_target_trials \
	$(SHARED_DATA)/ictrp_export/ictrp_export_sample.csv \
	$(SHARED_DATA)/eu_isrctn_ctrdata/ctis \
	$(SHARED_DATA)/eu_isrctn_ctrdata/euctr \
	$(SHARED_DATA)/eu_isrctn_ctrdata/isrctn \
	$(SEEDS)

.PHONY: run test lint venv bench clean lock

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

venv: $(BIN)/.installed

run: venv
	@mkdir -p $(dir $(DB))
	$(BIN)/trialatlas ingest --db $(DB) --keep-going $(SAMPLE_INPUTS)
	$(BIN)/trialatlas stats --db $(DB) --top 8
	$(BIN)/trialatlas serve --db $(DB) --host $(HOST) --port $(PORT)

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: venv lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

bench: venv
	$(BIN)/python bench/ingest.py

# Re-resolve requirements.lock from pyproject.toml in a scratch virtualenv (only packages are downloaded).
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet --upgrade pip && .lockenv/bin/pip install --quiet -e '.[dev]'
	{ echo "# Exact versions of every dependency (runtime and dev) for make run / make test: make lock"; \
	  .lockenv/bin/pip freeze --exclude-editable | grep -v '^-e'; } > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) var build *.egg-info
