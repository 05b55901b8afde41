# Two commands do everything on a fresh machine: `make report` (the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Label Studio's SDK, pinned, in a venv of its own: tests/test_labelstudio.py checks exported
# tasks with it (why not in .venv: tests/labelstudio_sdk/requirements.txt).
LS_VENV := .venv-labelstudio

.PHONY: setup system-deps test report gate baseline bench serve ui lint clean

setup: system-deps $(VENV)/.installed

system-deps:
	@bash scripts/install-system-deps.sh

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "medxtract setup: Python 3.11 or newer is needed as '$(PYTHON)'." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools>=77"
	$(BIN)/pip install --quiet -e ".[lab,service,dev]"
	touch $@

lint: setup
	$(BIN)/ruff check medxtract_lab tests benchmarks
	$(BIN)/ruff format --check medxtract_lab tests benchmarks

$(LS_VENV)/.installed: tests/labelstudio_sdk/requirements.txt scripts/labelstudio-sdk-venv.sh $(VENV)/.installed
	PYTHON=$(BIN)/python bash scripts/labelstudio-sdk-venv.sh $(LS_VENV)
	touch $@

test: setup $(LS_VENV)/.installed
	$(BIN)/ruff check medxtract_lab tests benchmarks
	$(BIN)/medxtract validate ground_truth
	$(BIN)/medxtract validate ground_truth/layouts
	$(BIN)/python -m pytest

# The main job: evaluate the bundled corpus with `default`, compared with the `seed` baseline;
# then the layouts evaluation set (layouts the house ones were not written for), per layout,
# read with the layouts `medxtract learn` made from 5 of each (ground_truth/layouts/learned).
report: setup
	$(BIN)/medxtract report --corpus ground_truth --preset default --compare seed --out reports/
	$(BIN)/medxtract report --corpus ground_truth/layouts --layouts ground_truth/layouts/learned --preset default --compare seed --out reports/layouts/

# The accuracy gate: `make report` again, failing when a source or field drops against the
# committed reports/baseline.json (writes reports/summary.md and reports/junit.xml).
gate: setup
	$(BIN)/medxtract report --corpus ground_truth --preset default --baseline reports/baseline.json --out reports/

# Accept the last `make report` as the new baseline, and its review thresholds as the Streamlit
# page's (commit reports/baseline.json and medxtract_lab/data/review_thresholds.json).
baseline:
	$(BIN)/python -c "from medxtract_lab.evaluation.gate import accept_as_baseline as a; a('reports/metrics.json', 'reports/baseline.json', 'medxtract_lab/data/review_thresholds.json')"

# Speed benchmark: seed against default, the Tesseract floor, born-digital, a 50-page PDF, and
# each stage's instructions counted by callgrind (valgrind installed by the script below).
bench: setup
	@bash scripts/install-bench-deps.sh
	$(BIN)/python benchmarks/speed.py

# The extraction server on 127.0.0.1:8000 (see the README for limits and a curl example).
serve: setup
	$(BIN)/medxtract serve --host 127.0.0.1 --port 8000

# The Streamlit page on 127.0.0.1:8501; set MEDXTRACT_API_URL to use a running server.
ui: setup
	$(BIN)/medxtract ui

clean:
	rm -rf $(VENV) $(LS_VENV) .pytest_cache
