# Thin wrappers around cargo. Every target works on a fresh machine with the
# Rust toolchain installed; see README.md.
CARGO ?= cargo

.PHONY: run test check fmt clippy bench emulate doc api-check static image

## run: the hub with two embedded emulated printers, HTTP API on http://127.0.0.1:8080
run:
	$(CARGO) run --release -p printhub -- serve

## test: formatting, lints and every test in the workspace (installs Chromium, promtool and Mosquitto for their tests if missing)
test:
	./scripts/ensure-browser.sh
	./scripts/ensure-promtool.sh
	./scripts/ensure-mosquitto.sh
	$(MAKE) check

check:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace

fmt:
	$(CARGO) fmt --all

## bench: criterion benchmarks (medians in target/criterion), the engine load generator, then issue 17's figures against their targets
bench:
	$(CARGO) bench -p printhub-raster -p printhub-actors -p printhub-store -p printhub-render -p printhub
	$(CARGO) run --release --quiet --bin bench-report

## api-check: schemathesis (every check) against a running hub's /api/openapi.json; not part of `make test` (needs python3, installs into ~/.cache/printhub-venv)
api-check:
	./scripts/api-check.sh

doc:
	$(CARGO) doc --workspace --no-deps

## static: a statically linked release binary (glibc, +crt-static) for the FROM scratch image
static:
	RUSTFLAGS="-C target-feature=+crt-static" $(CARGO) build --release -p printhub --target x86_64-unknown-linux-gnu

## image: the container image from deploy/Containerfile (podman; CONTAINER=docker for docker)
CONTAINER ?= podman
image: static
	$(CONTAINER) build $(if $(filter podman,$(CONTAINER)),--format docker) -f deploy/Containerfile -t printhub .
