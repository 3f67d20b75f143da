# The two commands of the README: `make demo` runs the bot on its embedded demo, `make test` runs the tests.
# Each makes its own virtual environment on a fresh machine. torch==2.13.0 is installed first: a plain torch
# requirement would pull a CUDA build of several GB.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-reset test test-dates install browser promtool clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The demo: one poll prints the summary, a demo lead is made (once), then the daemon runs with the review app.
# var/demo.db is kept between runs, so claims, notes and accounts made in the demo stay; `make demo-reset` first
# removes it to start over.
DEMO_USER := demo
DEMO_PASSWORD := tulpair-demo
demo: $(STAMP)
	@test ! -e var/demo.db || echo "Keeping var/demo.db from the last run (make demo-reset starts over)."
	$(BIN)/webcare --config config/demo.yaml run --once
	@$(BIN)/webcare --config config/demo.yaml user list | grep -q '^$(DEMO_USER) ' || { \
	printf '%s\n' '$(DEMO_PASSWORD)' | $(BIN)/webcare --config config/demo.yaml user add $(DEMO_USER) --role lead --password-stdin; }
	@$(BIN)/python -c "from bot.config.settings import load_settings; w = load_settings('config/demo.yaml').web; \
	print(f'The review queue: http://{w.host}:{w.port}/  log in as $(DEMO_USER) / $(DEMO_PASSWORD)  (Ctrl-C stops)')"
	$(BIN)/webcare --config config/demo.yaml run

demo-reset:
	rm -f var/demo.db var/demo.db-wal var/demo.db-shm

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

# The suite a year ahead and a year back, under Debian's faketime (installed with apt when missing, like chromium).
# Only Python processes (the tests, the daemons they start) see the moved clock; the browser keeps its own. The
# monotonic clock stays real and tests/faketime/sitecustomize.py sleeps through select(): it says why.
# FAKETIME_CACHE_DURATION: libfaketime reads its offset from the environment once a day instead of every 10 s,
# so it never reads the environment while a test sets a variable in another thread (a crash in glibc).
test-dates: $(STAMP) browser promtool
	@command -v faketime >/dev/null || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	$$SUDO apt-get update -q && $$SUDO apt-get install -y -q faketime; }
	for offset in +365d -365d; do echo "== the clock moved $$offset"; \
	PYTHONPATH=$(CURDIR)/tests/faketime$${PYTHONPATH:+:$$PYTHONPATH} \
	FAKETIME_ONLY_CMDS=python,python3 FAKETIME_CACHE_DURATION=86400 faketime --exclude-monotonic -f $$offset $(BIN)/python -m pytest -q -p no:cacheprovider || exit 1; done

clean:
	rm -rf $(VENV) var build *.egg-info
