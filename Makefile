# The two commands of the README: `make demo` runs the bot on its embedded demo, `make test` runs the tests.
# Each makes its own virtual environment on a fresh machine. torch==2.13.0 is installed first: a plain torch
# requirement would pull a CUDA build of several GB.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install browser promtool clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The demo: one poll prints the summary, a demo lead is made, then the daemon runs with the review app.
DEMO_USER := demo
DEMO_PASSWORD := tulpair-demo
demo: $(STAMP)
	rm -f var/demo.db var/demo.db-wal var/demo.db-shm
	$(BIN)/python run_bot.py --config config/demo.yaml --once
	printf '%s\n' '$(DEMO_PASSWORD)' | $(BIN)/webcare --config config/demo.yaml user add $(DEMO_USER) --role lead --password-stdin
	@$(BIN)/python -c "from bot.settings import load_settings; w = load_settings('config/demo.yaml').web; \
	print(f'The review queue: http://{w.host}:{w.port}/  log in as $(DEMO_USER) / $(DEMO_PASSWORD)  (Ctrl-C stops)')"
	$(BIN)/python run_bot.py --config config/demo.yaml

# Debian's chromium for the browser tests; Playwright drives it and never downloads a browser of its own.
browser:
	@test -x /usr/bin/chromium || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	$$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

# promtool (Debian's prometheus package) checks and unit-tests the alerting rules in deploy/alerts.yml.
promtool:
	@command -v promtool >/dev/null || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	$$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends prometheus; }

test: $(STAMP) browser promtool
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) var build *.egg-info
