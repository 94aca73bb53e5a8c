# Image pipeline on AWS Lambda: build, test, benchmark. `make` lists the targets.

CARGO        ?= cargo
PYTHON       ?= python3
# Python tools (Pillow, pyvips) live here, never in the system interpreter.
VENV         ?= .venv
# A folder of JPEG photos for `make bench`; empty means photo-like images are generated.
CORPUS       ?=
# Only the corpus photos whose names start with these (comma-separated, e.g. L4,M2): bench-stages, bench-arm64.
PHOTOS       ?=
BENCH_REPEAT ?= 5
RENDITIONS   ?= large:1600x1600:q80,medium:800x800:q80,thumb:200x200:q80
TERRAFORM    ?= terraform
# A local provider mirror makes `terraform init` work offline; found where one exists.
TF_MIRROR    ?= $(shell find / -maxdepth 3 -type d -name tf-plugins -not -path '/proc/*' 2>/dev/null | head -n 1)
# checkov pins its own boto3, so it lives apart from the other tools.
CHECKOV_VENV ?= .venv-checkov
# Lambda architecture: arm64 (Graviton) or x86_64; must match the Terraform `architecture`.
ARCH         ?= arm64
# Graviton2 is a Neoverse N1; Graviton3 runs N1 code too.
ARM64_RUSTFLAGS ?= -C target-cpu=neoverse-n1
# The settings both deployers read (Terraform with -var-file, the CDK app directly).
CONFIG       ?= config/pipeline.json
# Who deploys: terraform (terraform/) or cdk (cdk/); both deploy the same stack from CONFIG.
DEPLOYER     ?= terraform
# Extra arguments for terraform plan/apply, e.g. TF_ARGS='-var-file=prod.tfvars'.
TF_ARGS      ?=
# make deploy: non-empty applies the checked plan without asking (CI).
AUTO_APPROVE ?=
# Extra arguments for terraform init, e.g. the S3 backend's -backend-config=... (CI).
TF_INIT_ARGS ?=
# make tf-lock: the platforms a committed provider lock must cover.
TF_LOCK_PLATFORMS ?= linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64
# make loadtest: where (local: this machine; aws: the deployed stack), how many uploads, how fast (per s,
# empty = all at once), corrupt extras, a folder of images (empty = generated), notification mode.
TARGET       ?= local
COUNT        ?= 40
RATE         ?=
CORRUPT      ?= 1
IMAGES       ?=
# Generated image sizes, cycled (used when IMAGES is empty).
SIZES        ?= 1920x1080,1600x1200,2048x1536,4000x3000
MODE         ?= direct
# TARGET=aws only: processor memory sizes to sweep, e.g. 1024,1769,3008 (empty = no sweep).
SWEEP        ?=
# ROUTE_CHECK=1: after a local load test, run the CDN's format router over the renditions left
# in the emulator (every browser must be routed to an object of the right type), and read every
# file with Pillow (each format of a rendition: same size, close to the JPEG).
ROUTE_CHECK  ?=
# make fuzz: how long each fuzz target runs (libFuzzer options: -max_total_time=S or -runs=N).
FUZZ_LIMIT   ?= -max_total_time=60
CARGO_FUZZ_VERSION ?= 0.13.1
# make chaos: uploads (at RATE_CHAOS per s), instance kills, share of S3 object calls failed,
# share of batches delivered twice, the random seed (empty = from the clock).
CHAOS_COUNT  ?= 500
CHAOS_RATE   ?= 20
KILLS        ?= 5
S3_FAULTS    ?= 0.05
DUPLICATES   ?= 0.05
# make chaos MODE=trigger: share of the trigger's SendMessageBatch calls failed, and seconds of a
# burst in which all fail: Lambda's three attempts, each with the trigger's and the SDK's own
# retries, take about 18 s here, so events that meet 35 s of it go to the failure queue.
SQS_FAULTS   ?= 0.1
SQS_FAULT_BURST ?= 35
SEED         ?=
# The headless browser that opens the load-test report in `make report-check`.
CHROMIUM     ?= chromium
# Which build of the harness and redrive local runs use: tools (optimised, for measuring) or
# debug, the test build `make unit` has already made; the test targets use debug, which spares
# CI a 12-minute build. The functions themselves are always the release build Lambda runs.
HARNESS_PROFILE ?= tools

.DEFAULT_GOAL := help
.PHONY: help test fuzz-smoke unit lint fmt bench bench-stages bench-compare bench-formats bench-arm64 fixtures render clean \
	tf-lint tf-test tf-apply-local tf-lock tf-destroy-local checkov test-e2e test-loadtest test-chaos-trigger loadtest \
	chaos fuzz build plan deploy describe-stack destroy redrive test-arm64 cdk-build cdk-test report-check

# The Terraform CLI configuration the project's commands use; the user's own is never touched.
TF_CLI_CONFIG = $(CURDIR)/target/terraform/cli.tfrc
TF = $(if $(TF_MIRROR),TF_CLI_CONFIG_FILE=$(TF_CLI_CONFIG)) $(TERRAFORM)

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

test: lint unit test-e2e tf-test tf-apply-local test-loadtest report-check test-chaos-trigger tf-destroy-local checkov cdk-test fuzz-smoke ## Everything CI runs: lints, Rust tests, end-to-end, Terraform, CDK, load and chaos runs, checkov, a short fuzz

# The pure-Rust encoder (imaging's rust-encoder feature) and its SIMD colour kernels are tested
# too: the core's own tests, the encoder comparison and the every-CPU-variant checks.
unit: ## The Rust unit and integration tests, and the image core with its pure-Rust encoder
	$(CARGO) test --workspace --locked
	$(CARGO) test --locked -p imaging --features rust-encoder --lib --test encoder --test image_core

# The processor binary the tests run comes from the same test build as `make unit` (its own
# integration tests need it); `cargo build` would resolve tokio's features without the test-only
# ones and compile some 50 crates again.
test-e2e: $(VENV)/.tools-ready ## On moto: the processor binary behind the local Runtime API, the event source mapping, the AWS target
	$(CARGO) test --workspace --locked --no-run
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) test --workspace --locked --test processor_e2e --test event_source_mapping --test aws_target --test async_invoke -- --ignored

# The targets `make test` runs locally: their sub-makes inherit the setting through the environment.
test-loadtest test-chaos-trigger tf-destroy-local cdk-test: export HARNESS_PROFILE = debug

# Where cargo writes its builds (CARGO_TARGET_DIR when set).
CARGO_OUT = $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
# What the local stack runs: the two functions as Lambda runs them (release), `render` (release;
# timed on the same photos after the run), and the harness and redrive (HARNESS_PROFILE: the
# quicker-to-build tools profile, or the test build's binaries).
HARNESS_DIR = $(CARGO_OUT)/$(HARNESS_PROFILE)
LOCAL_BINARIES = $(CARGO) build --release --locked -p processor -p trigger -p imaging --bin processor --bin trigger --bin render && \
	$(if $(filter debug,$(HARNESS_PROFILE)),$(CARGO) test --workspace --locked --no-run, \
	$(CARGO) build --profile $(HARNESS_PROFILE) --locked -p loadtest -p trigger --bin loadtest --bin redrive)

loadtest: $(TF_CLI_CONFIG) $(VENV)/.tools-ready $(if $(filter cdk,$(DEPLOYER)),cdk-build) ## The whole pipeline on this machine, or TARGET=aws (DEPLOYER, COUNT, RATE, CORRUPT, IMAGES, SIZES, MODE, SWEEP, ROUTE_CHECK); report in target/loadtest/latest/
	$(LOCAL_BINARIES)
ifeq ($(TARGET),aws)
	$(MAKE) --no-print-directory describe-stack
	$(HARNESS_DIR)/loadtest --target aws --state $(TF_WORK)/deployed.json \
		--count $(COUNT) --corrupt $(CORRUPT) --sizes $(SIZES) $(if $(RATE),--rate $(RATE)) \
		$(if $(IMAGES),--images $(IMAGES)) $(if $(SWEEP),--sweep $(SWEEP))
else ifeq ($(TARGET),local)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(if $(TF_MIRROR),TF_CLI_CONFIG_FILE=$(TF_CLI_CONFIG)) \
		DEPLOYER=$(DEPLOYER) COUNT=$(COUNT) RATE=$(RATE) CORRUPT=$(CORRUPT) IMAGES=$(IMAGES) SIZES=$(SIZES) MODE=$(MODE) \
		CONFIG=$(abspath $(CONFIG)) HARNESS_DIR=$(HARNESS_DIR) ROUTE_CHECK=$(ROUTE_CHECK) bash loadtest/run-local.sh
else
	@echo "TARGET=$(TARGET): use local or aws" >&2; exit 2
endif

# cargo fuzz needs the compiler's unstable sanitizer flags: RUSTC_BOOTSTRAP lets the stable
# toolchain accept them, so no nightly toolchain is needed. Inputs that crash are copied into
# testdata/fuzz-regressions/, which `make unit` replays.
fuzz: ## Fuzz the image core and the message parser (FUZZ_LIMIT); crash inputs become regression tests
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked
	mkdir -p target/fuzz-corpus/render target/fuzz-corpus/message
	cp testdata/fixtures/*.jpg testdata/fixtures/*.png testdata/fixtures/*.webp testdata/fixtures/*.gif \
		testdata/fixtures/wild/*.jpg testdata/fixtures/wild/*.png \
		target/fuzz-corpus/render/
	cp testdata/events/*.json target/fuzz-corpus/message/
	@set -e; for target in render message; do \
		RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run --fuzz-dir fuzz -O $$target \
			target/fuzz-corpus/$$target testdata/fuzz-regressions/$$target \
			-- $(FUZZ_LIMIT) -rss_limit_mb=2048 -max_len=262144 || { \
			cp fuzz/artifacts/$$target/* testdata/fuzz-regressions/$$target/; \
			echo "fuzz: $$target crashed; its input is now in testdata/fuzz-regressions/$$target/" >&2; \
			exit 1; }; \
	done

fuzz-smoke: ## A short, repeatable fuzz run (fixed seed and run count), as CI does
	$(MAKE) --no-print-directory fuzz FUZZ_LIMIT='-runs=20000 -seed=1'

chaos: $(TF_CLI_CONFIG) $(VENV)/.tools-ready ## Chaos load test: kills, S3 faults, poison uploads, duplicates, and in MODE=trigger SQS faults and redrive; audits every upload (CHAOS_COUNT, KILLS, S3_FAULTS, DUPLICATES, SQS_FAULTS, SQS_FAULT_BURST, SEED)
	$(LOCAL_BINARIES)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(if $(TF_MIRROR),TF_CLI_CONFIG_FILE=$(TF_CLI_CONFIG)) \
		CHAOS=1 COUNT=$(CHAOS_COUNT) RATE=$(CHAOS_RATE) CORRUPT=0 IMAGES=$(IMAGES) SIZES=1920x1080,1600x1200,1280x960 MODE=$(MODE) \
		FUNCTION_TIMEOUT=10 TIMEOUT=900 KILLS=$(KILLS) S3_FAULTS=$(S3_FAULTS) DUPLICATES=$(DUPLICATES) \
		SQS_FAULTS=$(SQS_FAULTS) SQS_FAULT_BURST=$(SQS_FAULT_BURST) SEED=$(SEED) HARNESS_DIR=$(HARNESS_DIR) \
		bash loadtest/run-local.sh

report-check: ## Open the last load test's report in headless Chromium: charts with tick labels, a bar per cost part, no Markdown, no requests, a screenshot
	@command -v $(CHROMIUM) >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get install -y -qq chromium >/dev/null; } || { echo "report-check needs $(CHROMIUM) (Debian: apt-get install chromium)" >&2; exit 1; }
	$(PYTHON) loadtest/tests/browser_check.py target/loadtest/latest $(CHROMIUM)

test-chaos-trigger: ## A short chaos run in trigger mode: SQS faults on the trigger, events given up, redriven; the audit must find nothing lost
	$(MAKE) --no-print-directory chaos MODE=trigger CHAOS_COUNT=30 CHAOS_RATE=3 KILLS=1 SQS_FAULT_BURST=35 SEED=7

# The settings file of test-loadtest: the committed one with renditions in all three formats.
LOADTEST_TEST_CONFIG = target/loadtest/pipeline-formats.json

test-loadtest: ## A small local load test (JPEG, WebP and AVIF renditions): every upload accounted for, the corrupt one rejected, reports parse, the CDN's router finds every format, Pillow reads every file
	rm -rf target/loadtest/latest && mkdir -p target/loadtest
	$(PYTHON) -c "import json; c=json.load(open('$(CONFIG)')); \
		c['renditions']='thumb:200x200:cover:q75:jpeg+webp+avif,medium:800x800:webp+avif,large:1600x1600:q80'; \
		json.dump(c, open('$(LOADTEST_TEST_CONFIG)', 'w'), indent=2)"
	$(MAKE) --no-print-directory loadtest COUNT=12 RATE=4 CORRUPT=1 IMAGES= MODE=direct CONFIG=$(LOADTEST_TEST_CONFIG) ROUTE_CHECK=1
	$(PYTHON) -c "import json,sys; r=json.load(open('target/loadtest/latest/report.json')); \
		need=['uploaded','done','rejected','dlq','missing','images_per_second','latency_ms','cost_per_million_usd', \
			'init_ms','overhead_ms_per_image','image_core_ms_per_image','instance_timelines','dlq_depth','offered_per_second', \
			'render_cpu_ms_per_image','billed_vs_render','processor_cpu_ms_per_image']; \
		gone=[k for k in need if k not in r]; assert not gone, gone; \
		assert r['render_cpu_ms_per_image']>0 and r['billed_vs_render']>0 and r['processor_cpu_ms_per_image']>0, \
			(r['render_cpu_ms_per_image'], r['billed_vs_render'], r['processor_cpu_ms_per_image']); \
		assert r['uploaded']==13 and r['done']==12 and r['rejected']==1 and r['missing']==0, r; \
		assert r['cost_per_million_usd']['total']>0 and r['latency_ms']['p99']>0, r; \
		assert r['init_ms']['count']>=1 and r['init_ms']['p50']>0 and r['image_core_ms_per_image']>0, r['init_ms']; \
		f={c['format']: c for c in r['format_costs']}; assert sorted(f)==['avif','jpeg','webp'], r['format_costs']; \
		assert all(f[k]['images']==12 and f[k]['s3_put_usd']==10.0 for k in f), f; \
		assert f['webp']['bytes_vs_jpeg'] is None and f['avif']['bytes_vs_jpeg'] is None, f; \
		print('test-loadtest: report ok')"
	test -s target/loadtest/latest/report.md && grep -q '<svg' target/loadtest/latest/report.html

lint: tf-lint ## cargo fmt --check, clippy with warnings as errors, terraform fmt -check
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) clippy -p imaging --all-targets --features rust-encoder --locked -- -D warnings

tf-lint: ## terraform fmt -check
	$(TERRAFORM) fmt -check -recursive terraform

tf-test: $(TF_CLI_CONFIG) $(VENV)/.tools-ready ## terraform validate and test (offline plans: guardrails, IAM, both modes), the lock route, the deploy scripts
	cd terraform && $(TF) init -backend=false -input=false -no-color >/dev/null
	cd terraform && $(TF) validate -no-color
	cd terraform && $(TF) test -no-color
	$(if $(TF_MIRROR),bash terraform/tests/lock_route.sh $(TF_MIRROR),@echo "tf-test: no provider mirror here; the lock route test needs one")
	AWS_DEFAULT_REGION=us-east-1 $(VENV)/bin/python -m unittest discover -s terraform/tests -p 'test_*.py'

tf-apply-local: $(TF_CLI_CONFIG) $(VENV)/.tools-ready ## Apply and destroy the root module on a local AWS emulator, both modes
	for mode in direct trigger; do \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(if $(TF_MIRROR),TF_CLI_CONFIG_FILE=$(TF_CLI_CONFIG)) \
		bash terraform/tests/apply_local.sh $$mode || exit 1; \
	done

tf-destroy-local: $(TF_CLI_CONFIG) $(VENV)/.tools-ready ## make destroy's steps on a local stack with messages in flight (after the release binaries are built)
	$(LOCAL_BINARIES)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(if $(TF_MIRROR),TF_CLI_CONFIG_FILE=$(TF_CLI_CONFIG)) \
		HARNESS_DIR=$(HARNESS_DIR) bash terraform/tests/destroy_in_flight.sh

# The CDK app's packages, installed from the lock file; npm's cache lives in target/ so a second
# install on the same machine reads it instead of the registry.
cdk/node_modules/.ready: cdk/package-lock.json
	cd cdk && npm ci --prefer-offline --no-audit --no-fund --cache $(CURDIR)/target/npm-cache
	touch $@

cdk-build: cdk/node_modules/.ready ## Compile the CDK app (cdk/dist)
	cd cdk && npx tsc

# The templates the checks share: one synth per mode, with cdk-nag's AwsSolutions pack (any
# finding not acknowledged with a reason fails it). The placeholder zip stands in for make build's.
CDK_TEST_OUT = $(CURDIR)/target/cdk
CDK_PLACEHOLDER = -c processor_zip=tests/fixtures/bootstrap.zip -c trigger_zip=tests/fixtures/bootstrap.zip

cdk-test: cdk-build $(VENV)/.tools-ready $(CHECKOV_VENV)/.ready $(TF_CLI_CONFIG) ## The CDK app: types, lint, assertions, cdk-nag, checkov, cfn-lint, parity with Terraform, deploys to the emulator
	cd cdk && npx eslint . && npx prettier --check .
	cd cdk && node --test dist/test/
	for mode in direct trigger; do \
		(export CDK_DEFAULT_ACCOUNT=123456789012; $(CDK) synth --quiet -o $(CDK_TEST_OUT)/$$mode \
			-c notification_mode=$$mode $(CDK_PLACEHOLDER)) || exit 1; \
	done
	# The optional CDN too, for checkov, cfn-lint and parity.
	export CDK_DEFAULT_ACCOUNT=123456789012; $(CDK) synth --quiet -o $(CDK_TEST_OUT)/cdn \
		-c notification_mode=direct -c cdn_enabled=true $(CDK_PLACEHOLDER)
	# Relative paths: checkov's CKV_AWS_45 also scans the file name it files under the variables,
	# and an absolute path with a 40-character run of [A-Za-z0-9/] reads as an AWS secret key.
	cd $(CDK_TEST_OUT) && $(abspath $(CHECKOV_VENV))/bin/checkov --framework cloudformation --skip-download \
		--quiet --compact -f direct/$(STACK_NAME).template.json -f trigger/$(STACK_NAME).template.json \
		-f cdn/$(STACK_NAME).template.json
	# W3005: lambda.Function itself adds a DependsOn on its role, which the Role GetAtt already implies.
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- $(CDK_TEST_OUT)/*/$(STACK_NAME).template.json
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(if $(TF_MIRROR),TF_CLI_CONFIG_FILE=$(TF_CLI_CONFIG)) \
		bash cdk/test/parity.sh $(CDK_TEST_OUT)
	for mode in direct trigger; do \
		$(MAKE) --no-print-directory loadtest DEPLOYER=cdk MODE=$$mode COUNT=6 RATE=3 CORRUPT=1 IMAGES= || exit 1; \
	done

checkov: $(CHECKOV_VENV)/.ready ## Static checks of the Terraform; every skip carries a reason in code
	$(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --skip-download --quiet --compact \
		--skip-path terraform/tests

build: $(VENV)/.build-ready ## Cross-compile both functions for Lambda (ARCH=arm64|x86_64) into target/lambda/*/bootstrap.zip
	rustup target add $(if $(filter x86_64,$(ARCH)),x86_64,aarch64)-unknown-linux-gnu
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="$(ARM64_RUSTFLAGS)" \
		cargo lambda build --release --locked --$(if $(filter x86_64,$(ARCH)),x86-64,arm64) \
		--output-format zip --lambda-dir target/lambda --bin processor --bin trigger
	@ls -l target/lambda/*/bootstrap.zip

# Terraform's working files for the deployed stack: the checked plan and the outputs.
TF_WORK = $(CURDIR)/target/terraform

# The settings file's stack name and region (what the CDK stack and its bootstrap are found by).
STACK_NAME   = $(shell $(PYTHON) -c "import json; print(json.load(open('$(CONFIG)'))['name'])")
STACK_REGION = $(shell $(PYTHON) -c "import json; print(json.load(open('$(CONFIG)'))['region'])")
CDK = cd cdk && CDK_DISABLE_CLI_TELEMETRY=true npx cdk --no-notices

plan: build $(TF_CLI_CONFIG) $(VENV)/.tools-ready $(if $(filter cdk,$(DEPLOYER)),cdk-build) ## Build, plan (terraform plan, or cdk synth and diff), and check it against the account's concurrency (DEPLOYER, TF_ARGS, TF_INIT_ARGS)
	mkdir -p $(TF_WORK)
ifeq ($(DEPLOYER),cdk)
	$(CDK) synth --quiet -o $(TF_WORK)/cdk.out -c config=$(CONFIG)
	$(VENV)/bin/python terraform/scripts/preflight.py $(TF_WORK)/cdk.out/$(STACK_NAME).template.json
	$(CDK) diff --app $(TF_WORK)/cdk.out $(STACK_NAME) || true
else
	cd terraform && $(TF) init -input=false $(TF_INIT_ARGS)
	cd terraform && $(TF) plan -input=false -var-file=$(CURDIR)/$(CONFIG) -var architecture=$(ARCH) $(TF_ARGS) -out=$(TF_WORK)/deploy.tfplan
	cd terraform && $(TF) show -json $(TF_WORK)/deploy.tfplan > $(TF_WORK)/deploy-plan.json
	$(VENV)/bin/python terraform/scripts/preflight.py $(TF_WORK)/deploy-plan.json
endif

deploy: plan ## make plan, then apply it to your AWS account (asks first unless AUTO_APPROVE=1); DEPLOYER=cdk bootstraps the account first when it has to
	@[ -n "$(AUTO_APPROVE)" ] || { printf 'Apply this plan? [y/N] '; read -r answer; [ "$$answer" = y ]; }
ifeq ($(DEPLOYER),cdk)
	$(VENV)/bin/aws cloudformation describe-stacks --region $(STACK_REGION) --stack-name CDKToolkit >/dev/null 2>&1 || \
		$(CDK) bootstrap --app $(TF_WORK)/cdk.out
	$(CDK) deploy --app $(TF_WORK)/cdk.out $(STACK_NAME) --require-approval never
else
	cd terraform && $(TF) apply -input=false $(TF_WORK)/deploy.tfplan
endif

# What the tools read of the deployed stack, from either deployer: the harness's deployment file
# (deployed.json) and the outputs in `terraform output -json`'s shape (outputs.json).
describe-stack: $(TF_CLI_CONFIG) $(VENV)/.tools-ready
	mkdir -p $(TF_WORK)
ifeq ($(DEPLOYER),cdk)
	AWS_REGION=$(STACK_REGION) $(VENV)/bin/python cdk/scripts/describe_stack.py $(STACK_NAME) \
		$(TF_WORK)/deployed.json $(TF_WORK)/outputs.json
else
	cd terraform && $(TF) show -json > $(TF_WORK)/deployed.json
	cd terraform && $(TF) output -json > $(TF_WORK)/outputs.json
endif

destroy: describe-stack ## Stop the functions, wait out running invocations, empty the buckets (all versions), then destroy the stack (DEPLOYER)
	$(VENV)/bin/python terraform/scripts/prepare_destroy.py $(TF_WORK)/outputs.json
ifeq ($(DEPLOYER),cdk)
	$(CDK) destroy $(STACK_NAME) --force
else
	cd terraform && $(TF) destroy -input=false -var-file=$(CURDIR)/$(CONFIG) -var architecture=$(ARCH) $(TF_ARGS) $(if $(AUTO_APPROVE),-auto-approve)
endif

redrive: describe-stack ## Move dead-letter messages back to the work queue, and turn the trigger's failure records back into jobs (DEPLOYER)
	$(CARGO) build --profile tools --locked -p trigger --bin redrive
	$(CARGO_OUT)/tools/redrive $(TF_WORK)/outputs.json

tf-lock: $(TF_CLI_CONFIG) ## Online only: write terraform/.terraform.lock.hcl for every platform in TF_LOCK_PLATFORMS, for a team to commit
	cd terraform && TF_CLI_CONFIG_FILE=/dev/null $(TERRAFORM) providers lock $(addprefix -platform=,$(TF_LOCK_PLATFORMS))

# Cross-building for Graviton on this machine: Debian's cross gcc links, qemu-user runs the tests.
ARM64_ENV = CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
	CROSS_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
	CXX_aarch64_unknown_linux_gnu=aarch64-linux-gnu-g++
ARM64_TEST = $(ARM64_ENV) $(CARGO) test --locked --target aarch64-unknown-linux-gnu
ARM64_TOOLS_CHECK = command -v aarch64-linux-gnu-g++ >/dev/null && command -v qemu-aarch64 >/dev/null || { \
	if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user >/dev/null; \
	else echo "$@ needs: sudo apt-get install g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user" >&2; exit 1; fi; }
# `render` for Graviton with the functions' CPU flags, without AVIF; not position-independent, so
# the addresses qemu reports are the symbol table's.
ARM64_RENDER = $(ARM64_ENV) CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="$(ARM64_RUSTFLAGS) -C relocation-model=static" \
	$(CARGO) build --release --locked --target aarch64-unknown-linux-gnu -p imaging --no-default-features --bin render
ARM64_BENCH = target/bench/arm64
ARM64_OUT = $(CARGO_OUT)/aarch64-unknown-linux-gnu/release

test-arm64: ## The image core's and the processor's tests built for aarch64 and run under qemu-user (checks the NEON paths, the pure-Rust encoder's too)
	@$(ARM64_TOOLS_CHECK)
	rustup target add aarch64-unknown-linux-gnu
	$(ARM64_TEST) -p imaging -p processor
	$(ARM64_TEST) -p imaging --features rust-encoder --lib --test encoder --test image_core

bench-arm64: $(VENV)/.bench-ready ## Instructions per render on arm64 under qemu (Graviton's proxy), NEON share, top functions; both JPEG encoders (CORPUS, PHOTOS)
	@$(ARM64_TOOLS_CHECK)
	rustup target add aarch64-unknown-linux-gnu
	mkdir -p $(ARM64_BENCH)
	$${CC:-cc} -shared -fPIC -O2 -o $(ARM64_BENCH)/qemu_insns.so imaging/benches/qemu_insns.c
	$(ARM64_RENDER) --features rust-encoder
	cp $(ARM64_OUT)/render $(ARM64_BENCH)/render-rust-encoder
	$(ARM64_RENDER)
	cp $(ARM64_OUT)/render $(ARM64_BENCH)/render
	$(VENV)/bin/python imaging/benches/arm64_insns.py --plugin $(ARM64_BENCH)/qemu_insns.so \
		--render $(ARM64_BENCH)/render --render-rust $(ARM64_BENCH)/render-rust-encoder \
		$(if $(CORPUS),--corpus $(CORPUS)) --photos "$(PHOTOS)" --json $(ARM64_BENCH)/insns.json

$(TF_CLI_CONFIG):
	mkdir -p $(dir $@)
	printf '%s\n' 'provider_installation {' \
		'  filesystem_mirror {' '    path    = "$(TF_MIRROR)"' '    include = ["registry.terraform.io/*/*"]' '  }' \
		'  direct {' '    exclude = ["registry.terraform.io/*/*"]' '  }' '}' > $@

fmt: ## Format the Rust code
	$(CARGO) fmt --all

bench: bench-stages bench-compare ## Criterion per stage, then the comparison with Pillow and libvips

bench-stages: ## Criterion benches per stage (CORPUS=dir for real photos)
	CORPUS=$(CORPUS) $(CARGO) bench -p imaging --bench stages

bench-compare: $(VENV)/.bench-ready ## render vs Pillow vs libvips, one core each (CORPUS=dir)
	$(CARGO) build --release --locked -p imaging --bin render
	mkdir -p target/bench
	$(VENV)/bin/python imaging/benches/compare.py --render target/release/render \
		$(if $(CORPUS),--corpus $(CORPUS)) --repeat $(BENCH_REPEAT) --json target/bench/compare.json

bench-formats: $(VENV)/.bench-ready ## WebP and AVIF against JPEG: bytes at equal SSIMULACRA2, encode ms per format (CORPUS=dir)
	$(CARGO) build --release --locked -p imaging --bin render
	mkdir -p target/bench
	$(VENV)/bin/python imaging/benches/formats.py --render target/release/render \
		$(if $(CORPUS),--corpus $(CORPUS)) --repeat $(BENCH_REPEAT) --json target/bench/formats.json

fixtures: $(VENV)/.bench-ready ## Regenerate the committed test images
	$(VENV)/bin/python testdata/generate.py

render: ## Build the render CLI (target/release/render)
	$(CARGO) build --release --locked -p imaging --bin render

$(VENV)/.bench-ready: imaging/benches/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r imaging/benches/requirements.txt
	touch $@

$(VENV)/.tools-ready: terraform/tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r terraform/tests/requirements.txt
	touch $@

$(VENV)/.build-ready: terraform/tests/requirements-build.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r terraform/tests/requirements-build.txt
	touch $@

$(CHECKOV_VENV)/.ready: terraform/tests/requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r terraform/tests/requirements-checkov.txt
	touch $@

clean: ## Remove build output, the Python venvs and the CDK app's packages
	$(CARGO) clean
	rm -rf $(VENV) $(CHECKOV_VENV) cdk/node_modules cdk/dist cdk/cdk.out
