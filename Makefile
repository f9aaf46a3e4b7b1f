# The two set-up commands of the README: `make demo` and `make test`.
# Both create .venv and install what they need, once (stamps keyed on pyproject.toml):
#   make demo  the package with its `demo` extra (plots, datasets) and Graphviz's dot program;
#   make test  also the `dev` and `notebook` extras (tests, lint, types, JupyterLab), the
#              `torch` extra when pip can get a CPU-only build, and Debian's chromium for the
#              browser tests where the machine allows (otherwise those tests skip, saying why).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
DEMO_STAMP := $(VENV)/.demo-stamp
TEST_STAMP := $(VENV)/.test-stamp
SOURCES := microgradnet tests benchmarks scripts

.PHONY: demo test install-demo install-test lint typecheck unit notebooks bench graphviz \
	chromium clean

install-demo: $(DEMO_STAMP)
install-test: $(TEST_STAMP)

$(DEMO_STAMP): pyproject.toml scripts/ensure-venv.sh scripts/install.sh
	@PYTHON=$(PYTHON) sh scripts/ensure-venv.sh $(VENV)
	@sh scripts/install.sh $(VENV) demo
	@touch $@

# A superset of the demo's install, so it marks that one done too.
$(TEST_STAMP): pyproject.toml scripts/ensure-venv.sh scripts/install.sh scripts/ensure-torch.py
	@PYTHON=$(PYTHON) sh scripts/ensure-venv.sh $(VENV)
	@sh scripts/install.sh $(VENV) demo,dev,notebook
	@$(BIN)/python scripts/ensure-torch.py
	@touch $@ $(DEMO_STAMP)

graphviz:
	@sh scripts/ensure-graphviz.sh

chromium:
	@sh scripts/ensure-chromium.sh

demo: $(DEMO_STAMP)
	@sh scripts/ensure-graphviz.sh || echo "make demo: going on without Graphviz's dot program (the reason is above)"
	$(BIN)/microgradnet demo

test: $(TEST_STAMP) graphviz chromium lint typecheck unit notebooks

lint: $(TEST_STAMP)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

typecheck: $(TEST_STAMP)
	$(BIN)/mypy microgradnet scripts/ensure-torch.py

unit: $(TEST_STAMP) graphviz chromium
	$(BIN)/pytest -q

# notebooks/08_*.ipynb (from microgradnet to PyTorch) runs only where torch imports.
notebooks: $(TEST_STAMP)
	@sh scripts/run-notebooks.sh $(BIN)

bench: $(DEMO_STAMP)
	@$(BIN)/python scripts/ensure-torch.py
	$(PIP) -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache .hypothesis

# the README's figures (docs/*.svg, committed): rerun after changing the drawings
.PHONY: docs
docs: $(DEMO_STAMP) graphviz
	$(BIN)/python docs/make_figures.py
