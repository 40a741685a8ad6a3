# meetd: the two commands are `make run` and `make test` (see README.md).
# Both install the Debian packages that are missing (as root, or via sudo).

SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Build and run-time dependencies (see DESIGN.md).
DEPS := build-essential cmake pkg-config python3 libuv1-dev node-llhttp \
        libmsgpack-dev libsqlite3-dev libjansson-dev libssl-dev \
        libcurl4-openssl-dev libarchive-dev libseccomp-dev \
        libunistring-dev ffmpeg
BENCH_DEPS := wrk util-linux curl
# node and npm fetch Swagger UI for /api/v1/docs (docs/ui/assets.sh). They are
# installed only if the npm command is missing: Debian's npm package conflicts
# with NodeSource's nodejs, which bundles npm.
NODE_DEPS := nodejs npm
# tests/api/test_docs.js drives a headless chromium (test targets only).
TEST_DEPS := chromium

.PHONY: all deps build build-asan build-release run test test-dev test-asan \
        bench clean install

all: build

deps:
	@missing=""; \
	for p in $(DEPS) $(EXTRA_DEPS); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q '^install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null || missing="$$missing $(NODE_DEPS)"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps docs-assets
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

build-asan: deps docs-assets
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

build-release: deps docs-assets
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

.PHONY: docs-assets test-deps

# Swagger UI (pinned in docs/ui/package-lock.json), embedded by the build.
docs-assets: deps
	bash docs/ui/assets.sh

# For tests/api/test_docs.js: chromium and playwright-core (no browser download).
test-deps: deps
	@$(MAKE) --no-print-directory deps EXTRA_DEPS="$(TEST_DEPS)"
	@[ tests/api/node_modules/.package-lock.json -nt tests/api/package-lock.json ] || \
	  (cd tests/api && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)

# Starts meetd in the foreground with its data in ./data.
run: build-release
	./build/release/bin/meetd --data-dir ./data --show-api-key $(ARGS)

test-dev: build test-deps
	ctest --preset dev -j $(JOBS)

test-asan: build-asan test-deps
	ctest --preset asan -j $(JOBS)

test: test-dev test-asan

bench:
	$(MAKE) deps EXTRA_DEPS="$(BENCH_DEPS)"
	$(MAKE) build-release
	bash bench/run.sh

# Fuzzing (tests/fuzz, docs/RELIABILITY.md): builds the libFuzzer targets
# with clang (preset `fuzz`) and runs each for FUZZ_SECONDS. New inputs go
# to a scratch directory; those that add coverage to the committed corpus
# (found with -merge=1) are copied into tests/fuzz/corpus/<name>/, at most
# FUZZ_KEEP per target and run, smallest first, so that it stays small. A
# finding stops the run; its input is in build/fuzz/fuzz_<name>-crash-*.
FUZZ_SECONDS ?= 600
FUZZ_KEEP ?= 10
FUZZ_TARGETS ?= http valid ipc livekit range
FUZZ_DEPS := clang libclang-rt-14-dev

.PHONY: fuzz
fuzz:
	@$(MAKE) --no-print-directory deps EXTRA_DEPS="$(FUZZ_DEPS)"
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  bin=build/fuzz/tests/fuzz/fuzz_$$t; corpus=tests/fuzz/corpus/$$t; \
	  work=$$(mktemp -d); merged=$$(mktemp -d); \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  $$bin -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=build/fuzz/fuzz_$$t- \
	    $$work $$corpus; \
	  cp $$corpus/* $$merged/; \
	  $$bin -merge=1 $$merged $$work 2>/dev/null; \
	  ls -S -r $$merged | while read -r f; do \
	    [ -e "$$corpus/$$f" ] || echo "$$f"; \
	  done | head -n $(FUZZ_KEEP) | while read -r f; do \
	    cp "$$merged/$$f" "$$corpus/$$f"; echo "  kept $$corpus/$$f"; \
	  done; \
	  rm -rf $$work $$merged; \
	done

# Installs the release build: binaries, meetd(8) and meetd.service (see
# README.md, "Running as a service"). DESTDIR stages it elsewhere.
PREFIX ?= /usr/local
install: build-release
	DESTDIR="$(DESTDIR)" cmake --install build/release --prefix "$(PREFIX)"

clean:
	rm -rf build
