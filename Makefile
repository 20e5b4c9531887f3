# letterbox: `make dev` runs everything locally; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: dev test check lint typecheck unit system-packages clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .  # the console script letterbox
	touch $(STAMP)

# ESLint and Prettier, pinned in package-lock.json; npm ci empties node_modules first, so the stamp goes after.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

# age encryption for the browser, bundled from the pinned npm packages; committed, and a test checks it is current.
embed/letterbox-age.js: embed/src/letterbox-age.js $(NODE_STAMP)
	scripts/build-age-bundle $@

# The embed scripts a campaign's site serves, built from their readable sources in embed/src/ (comments and spaces
# removed, names shortened: letterbox.js and its texts stay under 8 KB gzipped); committed, and a test checks them.
EMBED_BUILT := embed/letterbox.js embed/letterbox-files.js embed/letterbox-wall.js
.PHONY: embed
embed: $(EMBED_BUILT)
$(EMBED_BUILT) &: embed/src/letterbox.js embed/src/letterbox-files.js embed/src/letterbox-wall.js $(NODE_STAMP)
	scripts/build-embed

# The translation catalogs (chalicelib/locale/): the code's new or changed texts added to every language's
# catalog, then each compiled to the .mo the functions read. A test fails while a text is untranslated.
.PHONY: catalogs
catalogs: $(STAMP)
	$(BIN)/python scripts/catalogs.py update
	$(BIN)/python scripts/catalogs.py compile

# The demo's snippets, as `letterbox snippet` prints them (after a schema changes); a test checks they are current.
.PHONY: demo-pages
demo-pages: $(STAMP)
	$(BIN)/python -m devstack.demo_pages

# The ALTCHA widget, copied from the pinned npm package; committed, and a test checks it is the package's.
embed/altcha.js embed/altcha-ru.js embed/altcha-de.js embed/altcha-fr-fr.js embed/altcha-es-es.js embed/altcha-LICENSE.txt: $(NODE_STAMP)
	scripts/copy-altcha-widget

## Run the API, the worker, the local AWS and the demo page, offline. Ctrl-C stops all.
dev: $(STAMP)
	$(BIN)/python -m devstack

## Run ruff, ESLint, mypy and every test: the same gate CI runs.
test: system-packages check

## The Debian packages the tests need (chromium, a Cyrillic font; nodejs and npm if absent), installed if missing.
system-packages:
	scripts/system-packages

check: lint typecheck unit

lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	node_modules/.bin/eslint .
	node_modules/.bin/prettier --check embed/src/*.js embed/demo/*.js eslint.config.js

typecheck: $(STAMP)
	$(BIN)/mypy

# One pytest worker per core (pytest-xdist); a test file stays on one worker, with its module fixtures. Files go
# out in collection order (tests/conftest.py puts the slow ones first), not xdist's biggest-file-first.
unit: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

## The fast tier: pure-logic tests under tests/unit, no server, in seconds (without Hypothesis's plugin: only tests/fuzz needs it).
## `make check` runs them too.
.PHONY: unit-fast
unit-fast: $(STAMP)
	$(BIN)/python -m pytest -q -p no:hypothesispytest tests/unit

## Deploy (or update) a stage on AWS: the infra stack, then `chalice deploy`. Safe to run again.
## More options through ARGS, e.g. ARGS="--retention-days 365" (python -m deploy deploy --help).
STAGE ?= prod
.PHONY: deploy destroy
deploy: $(STAMP)
	$(BIN)/python -m deploy deploy --stage $(STAGE) $(ARGS)

## Tear a stage down; the bucket with the submissions is kept unless DELETE_DATA=1.
destroy: $(STAMP)
	$(BIN)/python -m deploy destroy --stage $(STAGE) $(if $(DELETE_DATA),--delete-data)

## Benchmarks: what a submission costs in time, memory and money (README, "Performance").
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m bench

## Deeper fuzzing than `make test` runs (README, "Fuzzing"): 25 times the examples, random, about 20-30 minutes.
.PHONY: fuzz
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -q tests/fuzz

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
