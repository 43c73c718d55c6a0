# Set-up and everyday commands. A fresh Debian machine with Python 3.11 needs only:
#   make demo    # install, start the demo web on loopback, crawl it, show the results
#   make test    # install what the tests need, run the whole suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install browser test-deps demo test lint bench bench-crawlee lock clean

# The virtual environment, rebuilt when the lock file changes.
$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/.installed

browser: install
	scripts/provide-browser.sh $(VENV)

# Servers the storage and deployment tests start on loopback.
test-deps:
	scripts/apt-install.sh redis-server postgresql

demo: browser
	$(BIN)/python -m demo.crawl

test: browser test-deps
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check backlink_spider pipelines tests demo bench
	$(BIN)/ruff format --check backlink_spider pipelines tests demo bench

bench: browser
	$(BIN)/python -m bench.run

# Crawlee for Python in the benchmark's own environment (not the project's), for bench/crawlee_crawl.py.
# Its Playwright launches the system chromium (no browser download); the adaptive-crawler extra is
# what AdaptivePlaywrightCrawler needs (parsel, scikit-learn).
CRAWLEE_VENV := bench/.venv-crawlee
bench-crawlee:
	test -x $(CRAWLEE_VENV)/bin/python || $(PYTHON) -m venv $(CRAWLEE_VENV)
	$(CRAWLEE_VENV)/bin/python -m pip install -q --upgrade "pip>=24"
	$(CRAWLEE_VENV)/bin/python -m pip install -q "crawlee[playwright,adaptive-crawler]==1.11.0"

lock:
	{ echo '# Exact versions installed by `make` (pip install -r requirements.lock). Regenerate with `make lock`.'; \
	  $(BIN)/python -m pip freeze --all --exclude-editable | grep -v -E '^(pip|backlink-spider)==' | sort -f; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
