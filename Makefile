# The two commands of the README: `make demo` runs the bot on its embedded demo, `make test` runs the tests.
# Each makes its own virtual environment on a fresh machine. torch==2.13.0 is installed first: a plain torch
# requirement would pull a CUDA build of several GB.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -f var/demo.db var/demo.db-wal var/demo.db-shm
	$(BIN)/python run_bot.py --config config/demo.yaml --once

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) var build *.egg-info
