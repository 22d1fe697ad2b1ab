# Two commands for a fresh machine:  make demo  and  make test  (both run setup first).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: setup system-deps demo test test-fast release check-release contract clean

setup: system-deps $(STAMP)

system-deps:
	@scripts/install-system-deps.sh

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Regenerate the student notebooks, grade the bundled example class, print the table.
demo: setup
	$(PY) -m autograder release
	$(PY) -m autograder grade examples/submitted --out grades --jobs $(JOBS)

# The whole suite: notebooks, release sync, grader, red team, nbgrader path, browser.
test: setup
	$(PY) -m pytest

# Everything except the slow end-to-end and browser tests.
test-fast: setup
	$(PY) -m pytest -m "not slow and not browser"

release: setup
	$(PY) -m autograder release

check-release: setup
	$(PY) -m autograder check-release

contract: setup
	$(PY) ../shared/tools/check_contract.py

clean:
	rm -rf grades .autograder gradebook.db autograded feedback
