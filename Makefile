# streamrag — two commands on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

export SCARF_NO_ANALYTICS=true
export DO_NOT_TRACK=true
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1

.PHONY: install demo test lab strip clean-data bench images

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install everything

demo: $(STAMP)  ## ingest the default source into data/streamrag.db, then show stats and one answer
	$(PY) -m streamrag run --source auto --max-items 200 --duration 60
	$(PY) -m streamrag stats
	$(PY) -m streamrag search "how do I make Postgres vacuum keep up with heavy writes" -k 3

test: $(STAMP)  ## the whole test suite (unit, integration, every notebook)
	$(PY) -m pytest -q

lab: $(STAMP)  ## open the notebooks in JupyterLab
	$(PY) -m jupyter lab notebooks/

strip:  ## remove outputs from notebooks before committing
	$(PY) -m nbstripout --keep-id notebooks/*.ipynb

bench: $(STAMP)  ## the speed benchmark on the bundled sample
	$(PY) -m streamrag bench --recording data/sample

images: $(STAMP)  ## the README's pictures, from one run on the sample (use an idle machine)
	$(PY) scripts/make_images.py

clean-data:  ## delete the local database, caches and run files (not the sample)
	rm -rf data/streamrag.db data/cache data/errors.jsonl data/metrics.jsonl data/runs
