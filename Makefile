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

# Soak test (tests/soak/soak.py, docs/RELIABILITY.md): SOAK_MINUTES (30) of
# mixed load on the release build, sampling RSS and open fds of the gateway
# and of each worker every minute; fails on an unexpected status or a
# growth trend. The JSON summary goes to build/release/soak.json.
SOAK_MINUTES ?= 30

.PHONY: soak
soak:
	$(MAKE) build-release
	SOAK_MINUTES=$(SOAK_MINUTES) python3 tests/soak/soak.py \
	  --bin-dir build/release/bin --json build/release/soak.json

# Valgrind memcheck over the Python integration tests (docs/RELIABILITY.md):
# meetd and its workers run under valgrind (harness.py: MEETD_WRAPPER), one
# log per process in $(VALGRIND_DIR); ffmpeg and setpriv are not traced.
# The workers run without seccomp there (valgrind 3.19 does not implement
# the seccomp(2) call the sandbox makes), and the harness's timeouts are
# scaled by 10. Left out: test_hostile (a p99 latency bound and 2,000
# connections), test_faults* (kill -9 under load with timing assumptions)
# and test_docs.js (chromium). VALGRIND_SKIP lists single tests that check
# what valgrind changes (the seccomp filter, /proc/<pid>/exe) or whose time
# bounds assume native speed (worker recovery within 1 s, a start-up
# failure within 5 s, an expiry 1.5 s after start). Fails if a test fails
# or any log reports an error (including a definite leak).
VALGRIND_DEPS := valgrind
VALGRIND_BIN ?= build/dev/bin
VALGRIND_DIR ?= build/valgrind
VALGRIND_EXCLUDE := test_hostile test_faults test_faults_recordings \
                    test_faults_outbox
VALGRIND_TESTS ?= $(filter-out $(VALGRIND_EXCLUDE), \
                    $(basename $(notdir $(wildcard tests/api/test_*.py))))
VALGRIND_SKIP ?= test_workers_are_sandboxed,\
test_installed_meetd_runs_installed_worker,\
test_killed_worker_is_restarted_and_others_keep_serving,\
test_expired_rooms_processed_at_start_and_periodically,\
test_corrupt_shard_fails_fast_without_loop,\
test_second_meetd_on_same_data_dir_exits
VALGRIND_CMD = valgrind --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite --show-leak-kinds=definite \
  --trace-children=yes --trace-children-skip='*/ffmpeg,*/setpriv,*/ffprobe' \
  --child-silent-after-fork=yes --num-callers=30

.PHONY: valgrind valgrind-run
valgrind:
	@$(MAKE) --no-print-directory deps EXTRA_DEPS="$(VALGRIND_DEPS)"
	$(MAKE) build
	$(MAKE) valgrind-run

# The run alone, on the binaries in VALGRIND_BIN (no build).
valgrind-run:
	@rm -rf $(VALGRIND_DIR) && mkdir -p $(VALGRIND_DIR) && chmod 1777 $(VALGRIND_DIR)
	@fail=0; dir=$$(cd $(VALGRIND_DIR) && pwd); \
	for t in $(VALGRIND_TESTS); do \
	  start=$$(date +%s); \
	  MEETD_WRAPPER="$(VALGRIND_CMD) --log-file=$$dir/$$t.%p.log" \
	  MEETD_SKIP_TESTS="$(VALGRIND_SKIP)" \
	    python3 tests/api/$$t.py --bin-dir $(VALGRIND_BIN) \
	    > $$dir/$$t.out 2>&1 && res=ok || { res=FAILED; fail=1; }; \
	  echo "$$t: $$res in $$(( $$(date +%s) - start )) s, $$(tail -n 1 $$dir/$$t.out)"; \
	done; \
	logs=$$(ls $$dir/*.log | wc -l); \
	done_=$$(grep -l "ERROR SUMMARY:" $$dir/*.log | wc -l); \
	bad=$$(grep -L "ERROR SUMMARY: 0 errors" $$(grep -l "ERROR SUMMARY:" $$dir/*.log)); \
	echo "valgrind: $$logs process logs, $$done_ with a summary (the others were killed by their test)"; \
	if [ -n "$$bad" ]; then echo "valgrind: errors in:"; echo "$$bad"; fail=1; \
	else echo "valgrind: no errors and no definite leaks"; fi; \
	exit $$fail

# Fuzzing (tests/fuzz, docs/RELIABILITY.md): builds the libFuzzer targets
# with clang (preset `fuzz`) and runs each for FUZZ_SECONDS. New inputs go
# to a scratch directory; those that add coverage to the committed corpus
# (found with -merge=1) are copied into tests/fuzz/corpus/<name>/, at most
# FUZZ_KEEP per target and run, smallest first, so that it stays small. A
# finding stops the run; its input is in build/fuzz/fuzz_<name>-crash-*.
FUZZ_SECONDS ?= 600
FUZZ_KEEP ?= 10
FUZZ_TARGETS ?= http valid ipc livekit range lkapi
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
