# Build the book and run the tests. GNU make; recipes use tabs.
#
#   make book       venv + js, then build the HTML book with warnings as errors into _build/html
#   make test       make book, then every test layer (unit/property, nbval, built book in
#                   Chromium, live JupyterLab in Chromium); installs Chromium if none is found
#   make serve      serve _build/html on http://127.0.0.1:$(PORT)/ (PORT=8000 by default)
#   make notebooks [NB=chapters/x.ipynb]  re-execute notebooks in place, two at a time,
#                   deterministically, without stored widget state (commit the result)
#   make sync-url   copy the repository URL of _config.yml into each notebook's setup cell and
#                   the README's install line (`make notebooks` runs it first)
#   make student OUT=dir [FORCE=1]  student versions of the notebooks (solutions removed) in dir
#   make assignment OUT=dir [FORCE=1]  the autograded assignment (Otter-Grader format) in dir
#   make grade SUBMISSIONS=dir OUT=grades.csv [ASSIGNMENT=dir]  grade a folder of notebooks
#   make venv       create .venv (if missing) from requirements.txt + this package, editable
#   make js         install the pinned book JavaScript (npm ci) and vendor it into book/_static/vendor
#   make clean      remove _build/ and book/_static/vendor/ (keeps .venv and book/node_modules)
#
# Everything runs through $(VENV)/bin/python; nothing needs to be activated first.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= python3
VENV             ?= .venv
PY               := $(VENV)/bin/python
# jupyter-book has no `python -m` entry point; call its CLI through the venv's python
JUPYTER_BOOK     := $(PY) -c 'from jupyter_book.cli.main import main; main()'
# stamp file: rebuilt (pip install re-run) when the requirements or the package metadata change
VENV_STAMP       := $(VENV)/.installed.stamp

NPM              ?= npm
BOOK_JS_LOCK     := book/package-lock.json
# npm ci rewrites node_modules/.package-lock.json; it is the stamp for the JS install
BOOK_JS_STAMP    := book/node_modules/.package-lock.json
VENDOR_STAMP     := book/_static/vendor/licenses/PACKAGES.txt

BUILD_DIR        := _build
HTML_DIR         := $(BUILD_DIR)/html
LANDING          := $(HTML_DIR)/book/index.html
PORT             ?= 8000

# Same environment for every notebook run: the book build, nbval and `make notebooks`.
NB_ENV           := PYTHONHASHSEED=0 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
PYTEST           := $(PY) -m pytest -p no:cacheprovider

.PHONY: help venv js book serve clean test notebooks chromium student bench sync-url assignment grade format

help: ## list the targets
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# ---------------------------------------------------------------------------------
# Python environment

venv: $(VENV_STAMP) ## create .venv from requirements.txt and install this package (editable)

$(VENV_STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

# ---------------------------------------------------------------------------------
# Book JavaScript: pinned in book/package.json + book/package-lock.json, served from
# _static/vendor/ so that the built book makes no request to another site.

js: $(VENDOR_STAMP) ## npm ci the pinned widget/MathJax JS and copy it into book/_static/vendor

$(BOOK_JS_STAMP): $(BOOK_JS_LOCK) book/package.json
	$(NPM) ci --prefix book --ignore-scripts --no-audit --no-fund
	@touch $@

$(VENDOR_STAMP): $(BOOK_JS_STAMP) book/vendor_js.py | $(VENV_STAMP)
	$(PY) book/vendor_js.py

# ---------------------------------------------------------------------------------
# The book

# _build/html/index.html (from book/_extra/index.html) redirects to book/index.html.
# tools/execute_book.py first runs, one per core, the notebooks whose cached outputs are missing
# or stale (their code changed, or a widgets module they imported, or an explorer script or
# style they display) into the cache myst-nb reads; Sphinx then finds every notebook cached.
book: venv js ## build the HTML book into _build/html (warnings are errors)
	@start=$$(date +%s); \
	$(NB_ENV) $(PY) tools/execute_book.py \
	  && $(NB_ENV) $(JUPYTER_BOOK) build . --builder html --path-output . --warningiserror --keep-going \
	  && test -f $(LANDING) \
	  && echo "Built in $$(( $$(date +%s) - start )) s. Landing page: $(abspath $(LANDING))"

serve: ## serve _build/html on http://127.0.0.1:$(PORT)/
	@test -f $(LANDING) || { echo "No built book; run 'make book' first." >&2; exit 1; }
	@echo "Serving $(HTML_DIR) at http://127.0.0.1:$(PORT)/book/index.html (Ctrl-C stops)"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory $(HTML_DIR)

clean: ## remove build outputs (_build, vendored JS); keeps .venv and book/node_modules
	rm -rf $(BUILD_DIR) book/_static/vendor

# _config.yml names the repository once; the notebooks' setup cell and the install lines copy it.
sync-url: venv ## write the repository URL of _config.yml into every notebook and install line
	$(PY) tools/sync_repository_url.py

notebooks: sync-url ## re-execute every notebook in place, deterministically
	$(NB_ENV) $(PY) tools/execute_notebooks.py $(NB)

# 80 columns: what the book's code blocks show before they scroll sideways. The formatter wraps
# what it can; tools/code_width.py lists what is left (long strings and comments) to wrap by hand.
format: venv ## format the notebooks' code cells (ruff, 80 columns) and list lines still too wide
	$(PY) -m ruff format --line-length 80 $(or $(NB),chapters)
	$(PY) tools/code_width.py

# Not NB_ENV: the benchmark uses every core on both sides (torch.set_num_threads = cores).
bench: venv ## time ops.conv_transpose2d against PyTorch (table + _build/bench/conv_transpose2d.json)
	$(PY) benchmarks/conv_transpose2d.py $(BENCH_ARGS)

student: venv ## write student notebooks (solutions removed) into OUT=dir; FORCE=1 overwrites
	@test -n "$(OUT)" || { echo "usage: make student OUT=dir [FORCE=1]" >&2; exit 1; }
	$(PY) tools/student_version.py "$(OUT)" $(if $(FORCE),--force)

assignment: venv ## write the autograded assignment (Otter-Grader) into OUT=dir; FORCE=1 replaces it
	@test -n "$(OUT)" || { echo "usage: make assignment OUT=dir [FORCE=1]" >&2; exit 1; }
	$(PY) tools/assignment.py "$(OUT)" $(if $(FORCE),--force)

# TIME_LIMIT: seconds per submission; JOBS: submissions at once (default: the number of cores).
grade: venv ## grade every notebook in SUBMISSIONS=dir into OUT=grades.csv (+ OUT's -feedback/ folder)
	@test -n "$(SUBMISSIONS)" -a -n "$(OUT)" || { echo "usage: make grade SUBMISSIONS=dir OUT=grades.csv [ASSIGNMENT=dir] [TIME_LIMIT=s] [JOBS=n]" >&2; exit 1; }
	$(NB_ENV) $(PY) tools/grade.py "$(SUBMISSIONS)" "$(OUT)" $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") $(if $(TIME_LIMIT),--time-limit $(TIME_LIMIT)) $(if $(JOBS),--jobs $(JOBS))

# ---------------------------------------------------------------------------------
# Tests

# Chromium for the browser layers: a system one if present; else Debian's package when
# running as root on Debian/Ubuntu; else Playwright's own download.
FIND_CHROMIUM := $(PY) -c 'import sys; sys.path.insert(0, "tests"); from browser_util import find_chromium; print(find_chromium() or "")'

chromium: venv ## make sure a Chromium is available for the browser tests
	@if [ -n "$$($(FIND_CHROMIUM))" ]; then echo "Chromium: $$($(FIND_CHROMIUM))"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && grep -qiE 'debian|ubuntu' /etc/os-release; then \
	  echo "No Chromium found: installing Debian's chromium package"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "No Chromium found: trying Playwright's installer"; \
	  $(PY) -m playwright install chromium; \
	fi; \
	if [ -z "$$($(FIND_CHROMIUM))" ]; then \
	  echo "ERROR: no Chromium for the browser tests. Install one (Debian/Ubuntu as root: apt-get install chromium;" >&2; \
	  echo "elsewhere: $(PY) -m playwright install chromium), or point \$$CHROMIUM at a Chromium/Chrome binary." >&2; \
	  exit 1; \
	fi; echo "Chromium: $$($(FIND_CHROMIUM))"

# Layers other than 1 are chosen by marker (tests/conftest.py: LAYER_PREFIXES). Layers 1, 2 and 4
# use both cores (-n 2; nbval keeps each notebook's cells on one worker, --dist loadfile).
OTHER_LAYERS     := browser or lab or widgets7 or binder or kernels or grading

# The layers run on two tracks side by side (make -j2): layers 1-4 on one, layers 5-8 on the
# other, each track in order (a layer is the prerequisite of the next one on its track). The live
# layers 5-7 mostly wait on a kernel, a server or a page, so they fill the cores that the first
# track's layers leave idle.
# Each layer's output is printed whole when it ends (--output-sync), with the seconds it took. The
# first failing layer stops the run once the layer beside it ends; `make test-layer-N` runs layer N
# after the layers before it on its track.
test: book chromium ## build the book, then run every test layer (non-zero exit on any failure)
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-layer-4 test-layer-8

# Prefix for a layer's command: prints its time when it ends, keeps its exit status.
TIMED            := SECONDS=0; trap 'echo "   (took $$SECONDS s)"' EXIT;

.PHONY: test-layer-1 test-layer-2 test-layer-3 test-layer-4 test-layer-5 test-layer-6 test-layer-7 test-layer-8

test-layer-1:
	@echo "== Layer 1: widgets.ops and explorer states against PyTorch"
	$(TIMED) $(PYTEST) tests -m "not ($(OTHER_LAYERS))" -q -n 2

test-layer-2: test-layer-1
	@echo "== Layer 2: nbval, strict, over chapters/"
	$(TIMED) $(NB_ENV) $(PYTEST) --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg chapters -q -n 2 --dist loadfile

test-layer-3: test-layer-2
	@echo "== Layer 3: nbval again under each CPU kernel family this machine can force"
	$(TIMED) $(PYTEST) tests -m kernels -q

test-layer-4: test-layer-3
	@echo "== Layer 4: the built book in headless Chromium"
	$(TIMED) $(PYTEST) tests -m browser -q -n 2

test-layer-5:
	@echo "== Layer 5: live JupyterLab 4 (ipywidgets 8) in headless Chromium"
	$(TIMED) $(PYTEST) tests -m lab -q

test-layer-6: test-layer-5
	@echo "== Layer 6: JupyterLab 3.6 with ipywidgets 7 (Colab's widget version)"
	$(TIMED) $(PYTEST) tests -m widgets7 -q

test-layer-7: test-layer-6
	@echo "== Layer 7: Binder's build steps in a fresh venv, then the notebook it links"
	$(TIMED) $(PYTEST) tests -m binder -q

test-layer-8: test-layer-7
	@echo "== Layer 8: the autograded assignment, graded from a folder of submissions"
	$(TIMED) $(PYTEST) tests -m grading -q
