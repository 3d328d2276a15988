# Two commands do all the set-up on a fresh machine: `make play` and `make test`.
# Each creates .venv on first run and installs what the project needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: play test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The CPU build of torch first (pinned: an unpinned torch pulls a CUDA build).
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

play: $(STAMP)
	$(PY) main.py play $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -n auto -q $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) bench/levels.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
