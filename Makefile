# The commands of the README. Each works on a fresh machine: it makes the virtual
# environment in .venv and installs what it needs into it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: lab demo test lint compat clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# The main job: the quickstart notebook in JupyterLab (installs gdwidget with the demo extras).
lab: $(PY)
	$(PY) -m pip install -q -e ".[demo]"
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/01_quickstart.ipynb

# The same race without a browser: a table in the terminal.
demo: $(PY)
	$(PY) -m pip install -q -e ".[demo]"
	$(PY) -m gdwidget.demo

test: $(PY)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "installing the system Chromium for the browser tests"; \
	    apt-get update -qq && apt-get install -y -qq chromium; }
	$(PY) -m pip install -q -e ".[test]"
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -q
	@test -d node_modules || npm ci
	npm test

# The Playground's kernel side under the widget stack Colab has long shipped: ipywidgets 7.7.1 and
# ipykernel 6, in a venv of its own (.venv-compat, in the repo; pip keeps no cache for it).
COMPAT := .venv-compat
CPY    := $(COMPAT)/bin/python
CPIP   := $(CPY) -m pip install -q --no-cache-dir

$(CPY):
	$(PYTHON) -m venv $(COMPAT)

compat: $(CPY)
	$(CPIP) "ipykernel==6.17.1" "traitlets==5.7.1" ipython_genutils psygnal typing_extensions \
	  numpy pytest
	@# the kernel side only: not ipywidgets 7's front-end packages (widgetsnbextension, notebook)
	$(CPIP) --no-deps "ipywidgets==7.7.1" "anywidget==0.11.0" -e .
	$(CPY) -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning tests/compat

lint: $(PY)
	$(PY) -m ruff check gdwidget tests benchmarks
	$(PY) -m ruff format --check gdwidget tests benchmarks

clean:
	rm -rf $(VENV) $(COMPAT) build dist node_modules gdwidget/static

