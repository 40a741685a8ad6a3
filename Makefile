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

.PHONY: all deps build build-asan build-release run test test-dev test-asan \
        bench clean

all: build

deps:
	@missing=""; \
	for p in $(DEPS) $(EXTRA_DEPS); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q '^install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

build-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

build-release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

# Starts meetd in the foreground with its data in ./data.
run: build-release
	./build/release/bin/meetd --data-dir ./data --show-api-key $(ARGS)

test-dev: build
	ctest --preset dev -j $(JOBS)

test-asan: build-asan
	ctest --preset asan -j $(JOBS)

test: test-dev test-asan

bench:
	$(MAKE) deps EXTRA_DEPS="$(BENCH_DEPS)"
	$(MAKE) build-release
	bash bench/run.sh

clean:
	rm -rf build
