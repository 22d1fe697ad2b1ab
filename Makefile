# Two commands for a fresh machine:  make demo  and  make test  (both run setup first).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2

OLDEST := .venv-oldest
OLDEST_STAMP := $(OLDEST)/.installed

.PHONY: setup system-deps demo test test-fast test-oldest lint book release check-release publish contract clean

setup: system-deps $(STAMP)

system-deps:
	@scripts/install-system-deps.sh

$(STAMP): requirements.txt requirements-book.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The demo's output folder, and its cell timeout: frank's hanging cell waits this long in each
# assignment, about 5x the slowest cell of a correct notebook (benchmarks/README.md).
DEMO_OUT ?= grades
DEMO_CELL_TIMEOUT ?= 20

# Regenerate the student notebooks, grade the bundled example class (every assignment), print the
# table and where the class report is.
demo: setup
	$(PY) -m autograder release
	$(PY) -m autograder grade examples/submitted --out $(DEMO_OUT) --jobs $(JOBS) --cell-timeout $(DEMO_CELL_TIMEOUT)

# The whole suite: notebooks, release sync, grader, red team, nbgrader path, browser.
# Two test processes, one test file each at a time (a file's fixtures are made once).
test: setup
	$(PY) -m pytest -n $(JOBS) --dist loadfile

# Everything except the slow end-to-end and browser tests.
test-fast: setup
	$(PY) -m pytest -n $(JOBS) --dist loadfile -m "not slow and not browser"

# Lint, format, types, workflows and committed notebooks (the pre-commit hooks, on every file).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/actionlint .github/workflows/*.yml
	$(PY) -m autograder.notebook_outputs $$(find notebooks solutions -name '*.ipynb')

# The oldest supported versions (the floors in requirements.txt) in a second venv: the
# solution notebooks, and the checks' tests of the solutions and references, must pass there
# too (the wrong-answer sweeps test the checks, not the versions, and run once, in `make test`).
$(OLDEST_STAMP): requirements.txt requirements-dev.txt pyproject.toml | $(STAMP)
	rm -rf $(OLDEST)
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m autograder envfiles --floors > $(OLDEST)/requirements-floors.txt
	$(OLDEST)/bin/python -m pip install --quiet --disable-pip-version-check -r $(OLDEST)/requirements-floors.txt \
	  $$(grep -E '^(pytest|pytest-xdist|hypothesis)==' requirements-dev.txt)
	$(OLDEST)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(OLDEST_STAMP)

test-oldest: setup $(OLDEST_STAMP)
	AUTODIFF_EXPECT_FLOORS=1 $(OLDEST)/bin/python -m pytest -n $(JOBS) \
	  tests/test_envfiles.py tests/test_solution_notebooks.py $(wildcard tests/test_checks_*.py) \
	  -k "envfiles or solution or reference"

# The course website, from the release notebooks, into _build/book/ (open _build/book/index.html).
book: setup
	$(PY) -m autograder book --out _build/book --jobs $(JOBS)

release: setup
	$(PY) -m autograder release

check-release: setup
	$(PY) -m autograder check-release

# The public student repository (README "Two repositories"):  make publish OUT=../student-repo REPOSITORY=owner/name
publish: setup
	@test -n "$(OUT)" -a -n "$(REPOSITORY)" || { echo "usage: make publish OUT=folder REPOSITORY=owner/name"; exit 2; }
	$(PY) -m autograder publish "$(OUT)" --repository "$(REPOSITORY)"

contract: setup
	$(PY) ../shared/tools/check_contract.py

clean:
	rm -rf grades .autograder gradebook.db autograded feedback _build
