# The two set-up commands of the README: `make demo` and `make test`.
# Both create .venv, install the project with its extras and Graphviz's dot program, then run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SOURCES := microgradnet tests benchmarks

.PHONY: demo test lint typecheck unit notebooks bench graphviz clean

$(STAMP): pyproject.toml scripts/ensure-venv.sh
	PYTHON=$(PYTHON) sh scripts/ensure-venv.sh $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,notebook]"
	touch $(STAMP)

graphviz:
	@sh scripts/ensure-graphviz.sh

demo: $(STAMP)
	@sh scripts/ensure-graphviz.sh || echo "(continuing without dot: the demo writes DOT files instead of SVG)"
	$(BIN)/microgradnet demo

test: $(STAMP) graphviz lint typecheck unit notebooks

lint: $(STAMP)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

typecheck: $(STAMP)
	$(BIN)/mypy microgradnet

unit: $(STAMP) graphviz
	$(BIN)/pytest -q

notebooks: $(STAMP)
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then $(BIN)/pytest -q --nbmake notebooks; fi

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache .hypothesis
