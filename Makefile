# The two commands of the README. Both work on a fresh machine: they make the
# virtual environment in .venv and install what they need into it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: demo test lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

demo: $(PY)
	$(PY) -m pip install -q -e ".[demo]"
	$(PY) -m gdwidget.demo

test: $(PY)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "installing the system Chromium for the browser tests"; \
	    apt-get update -qq && apt-get install -y -qq chromium; }
	$(PY) -m pip install -q -e ".[test]"
	$(PY) -m ruff check gdwidget tests benchmarks
	$(PY) -m pytest -q
	@test -d node_modules || npm ci
	npm test

lint: $(PY)
	$(PY) -m ruff check gdwidget tests benchmarks
	$(PY) -m ruff format --check gdwidget tests benchmarks

clean:
	rm -rf $(VENV) build dist node_modules gdwidget/static

# Opens the quickstart notebook in JupyterLab (installs gdwidget with the demo extras first).
.PHONY: lab
lab: $(PY)
	$(PY) -m pip install -q -e ".[demo]"
	$(VENV)/bin/jupyter lab notebooks/01_quickstart.ipynb
