# Two commands do all the set-up on a fresh machine: `make play` and `make test`.
# Each creates .venv on first run and installs what the project needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: play test lint bench rllib clean warmup screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The CPU build of torch first (pinned: an unpinned torch pulls a CUDA build).
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	# Compile and cache the simulation now, so the first start opens at once (game/ui/warmup.py).
	$(PY) -m game.ui.warmup
	touch $(STAMP)

play: $(STAMP)
	$(PY) main.py play $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -n auto -q $(ARGS)

# Compile and cache the simulation again (after editing numba kernels; `make play` does it on set-up).
warmup: $(STAMP)
	$(PY) -m game.ui.warmup

# Regenerate README's and docs/screenshots/ pictures from the game itself (game/ui/screenshots.py).
screenshots: $(STAMP)
	$(PY) -m game.ui.screenshots --out docs/screenshots

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) bench/level_stats.py

# RLlib pins its own gymnasium, so it gets its own venv (docs/ray.md); `make test` does not need it.
rllib:
	$(PYTHON) -m venv .venv-rllib
	.venv-rllib/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	.venv-rllib/bin/python -m pip install --quiet --disable-pip-version-check -e ".[rllib]"
	.venv-rllib/bin/python bench/rllib_pettingzoo.py --params dungeon --max-cycles 200 --iterations 3

clean:
	rm -rf $(VENV) .venv-rllib .pytest_cache .hypothesis build *.egg-info
