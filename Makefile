# Image pipeline on AWS Lambda: build, test, benchmark. `make` lists the targets.

CARGO        ?= cargo
PYTHON       ?= python3
# Python tools (Pillow, pyvips) live here, never in the system interpreter.
VENV         ?= .venv
# A folder of JPEG photos for `make bench`; empty means photo-like images are generated.
CORPUS       ?=
BENCH_REPEAT ?= 5
RENDITIONS   ?= large:1600x1600:q80,medium:800x800:q80,thumb:200x200:q80

.DEFAULT_GOAL := help
.PHONY: help test unit lint fmt bench bench-stages bench-compare fixtures render clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

test: lint unit ## Everything CI runs: formatting, lints and the test suites

unit: ## The Rust unit and integration tests
	$(CARGO) test --workspace --locked

lint: ## cargo fmt --check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt: ## Format the Rust code
	$(CARGO) fmt --all

bench: bench-stages bench-compare ## Criterion per stage, then the comparison with Pillow and libvips

bench-stages: ## Criterion benches per stage (CORPUS=dir for real photos)
	CORPUS=$(CORPUS) $(CARGO) bench -p processor --bench stages

bench-compare: $(VENV)/.bench-ready ## render vs Pillow vs libvips, one core each (CORPUS=dir)
	$(CARGO) build --release --locked -p processor --bin render
	mkdir -p target/bench
	$(VENV)/bin/python processor/benches/compare.py --render target/release/render \
		$(if $(CORPUS),--corpus $(CORPUS)) --repeat $(BENCH_REPEAT) --json target/bench/compare.json

fixtures: $(VENV)/.bench-ready ## Regenerate the committed test images
	$(VENV)/bin/python processor/tests/fixtures/generate.py

render: ## Build the render CLI (target/release/render)
	$(CARGO) build --release --locked -p processor --bin render

$(VENV)/.bench-ready: processor/benches/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r processor/benches/requirements.txt
	touch $@

clean: ## Remove build output and the Python venv
	$(CARGO) clean
	rm -rf $(VENV)
