# sfdest — the two commands a new user needs are `make run` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
APT_INSTALL = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

.PHONY: run fakes test build bench deps bench-deps clean peer-clients fixture dist dist-debug dist-check dist-test format format-lint bench-instructions fuzz

# The release artefact: `sfdest` with the Swift runtime linked in, for CI runners without a toolchain.
DIST_NAME := sfdest-linux-$(shell uname -m)
DIST := dist/$(DIST_NAME)
# The same artefact relinked from the debug build (contrib/dist/static-debug.sh), which make test checks.
DIST_DEBUG := .build/dist-debug/$(DIST_NAME)

# libmicrohttpd 1.0.1, built from Debian's source package into a folder of its own (contrib/libmicrohttpd/build.sh
# says why not Debian 12's 0.9.75) and linked statically; SwiftPM finds it through this pkg-config path.
MHD_PREFIX := $(CURDIR)/.build-libmicrohttpd
export PKG_CONFIG_PATH := $(MHD_PREFIX)/lib/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))

# System packages the build needs: GnuTLS (libmicrohttpd's TLS), SQLite (GRDB, the sync state of `send --state`),
# pkg-config, patch to apply our one change to libmicrohttpd, curl for the artefact's smoke test, and openssl, which
# the TLS tests use to make a throwaway CA. Then libmicrohttpd itself, whose source apt fetches by package name from
# the archive it is configured with (build.sh).
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists gnutls || ! pkg-config --exists sqlite3 || ! command -v openssl >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 || ! command -v patch >/dev/null 2>&1; then \
		echo "installing libgnutls28-dev, libsqlite3-dev, pkg-config, curl, patch and openssl through apt"; \
		$(SUDO) apt-get update -qq && $(APT_INSTALL) libgnutls28-dev libsqlite3-dev pkg-config curl patch openssl; \
	fi
	@bash contrib/libmicrohttpd/build.sh $(MHD_PREFIX)

# The load generator the benchmarks drive the fakes with.
bench-deps: deps
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(APT_INSTALL) wrk; }

build: deps
	$(SWIFT) build

# The main job: every scenario (the real client against fresh in-process fakes, checked against its golden
# transcript, outcome and state), printed as a table. JUnit XML goes to .build/scenarios.xml.
run: deps
	$(SWIFT) build --product sfdest
	$$($(SWIFT) build --show-bin-path)/sfdest check scenarios --junit .build/scenarios.xml

# Both fakes in the foreground with the documented default tenants (Ctrl-C stops them).
fakes: deps
	$(SWIFT) build --product sfdest
	$$($(SWIFT) build --show-bin-path)/sfdest fake --pardot-port 8181 --marketing-cloud-port 8282

# The Swift suite, then real third-party clients from PyPI (peer-clients/, in a throwaway venv) against the
# built fakes over TLS, then the pytest fixture (contrib/pytest) against the built binary, then the CI job of docs/ci-other-languages.md
# against the artefact with the toolchain hidden. The release artefact takes about 12 minutes to build from a clean
# clone on two cores, past CI's budget, so make test checks the debug build relinked in the artefact's shape (the
# Swift runtime linked in, seconds), and the release artefact too when `make dist` has built it (`make dist-test`
# builds and checks it, a CI job of its own).
test: deps format-lint
	$(SWIFT) build --build-tests
	$(SWIFT) test
	$(MAKE) --no-print-directory peer-clients
	$(MAKE) --no-print-directory fixture
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10
	$(MAKE) --no-print-directory dist-debug
	$(MAKE) --no-print-directory dist-check ARTEFACT=$(DIST_DEBUG)
	@if [ -x $(DIST) ]; then $(MAKE) --no-print-directory dist-check; \
	else echo "dist: $(DIST) not built, not checked (make dist-test builds and checks it)"; fi

# Coverage-guided fuzzing (libFuzzer with AddressSanitizer) of every reader of untrusted bytes, FUZZ_SECONDS per target
# in a build folder of its own (.build-fuzz); make test runs each for 10 s. A failure's input is left in
# .build-fuzz/failures/: once fixed, it goes into Fuzz/regressions/<target>/ (contrib/fuzz/run.sh, Fuzz/README.md).
FUZZ_SECONDS ?= 300
fuzz: deps
	SWIFT=$(SWIFT) bash contrib/fuzz/run.sh $(FUZZ_SECONDS)

# The repository's .swift-format, strictly: a warning fails the build (swift format ships with the toolchain).
# `make format` rewrites the sources to it.
format-lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

format:
	$(SWIFT) format format --in-place --recursive Sources Tests Package.swift

# Real PyPI clients of Salesforce's APIs, unchanged, against `sfdest fake` (see peer-clients/README.md).
peer-clients: deps
	$(SWIFT) build --product sfdest
	SFDEST_BIN="$$($(SWIFT) build --show-bin-path)/sfdest" bash peer-clients/run.sh

# The pytest fixture for non-Swift CI (contrib/pytest), against the built binary, in the peer clients' venv.
fixture: deps
	$(SWIFT) build --product sfdest
	SFDEST_BIN="$$($(SWIFT) build --show-bin-path)/sfdest" bash peer-clients/run.sh -c ../contrib/pytest/pytest.ini ../contrib/pytest

# Release build with the Swift runtime linked statically, in its own build folder (its flags differ from
# `make bench`'s release build), stripped, with a checksum file.
dist: deps
	$(SWIFT) build -c release --static-swift-stdlib --product sfdest --scratch-path .build-dist
	mkdir -p dist
	cp .build-dist/release/sfdest $(DIST)
	strip $(DIST)
	cd dist && sha256sum $(DIST_NAME) > $(DIST_NAME).sha256

# The debug build in the artefact's shape: its objects relinked with the Swift runtime linked in, a checksum beside.
dist-debug: deps
	$(SWIFT) build --product sfdest
	SWIFT=$(SWIFT) bash contrib/dist/static-debug.sh $(DIST_DEBUG)

# The artefact (ARTEFACT, default the release one) as the README's CI job uses it, with the toolchain folder hidden
# in a private mount namespace: downloaded and checked, started on a ready file, a curl smoke test verified through
# the control API, a pytest job with the fixture, and the fixture's suite. Needs the peer clients' venv (pytest).
ARTEFACT ?= $(DIST)
dist-check:
	@test -x peer-clients/.venv-peer/bin/python || { echo "dist-check: run make peer-clients once (it makes the venv)"; exit 2; }
	SWIFT=$(SWIFT) bash contrib/dist/check.sh $(ARTEFACT)

dist-test: dist peer-clients dist-check

# One build per product: given several --product flags, SwiftPM builds only the last. OLD_SFDEST=path/to/an/old/sfdest
# runs that binary's client benchmark beside this build's, alternated round by round (docs/benchmarks.md).
bench: bench-deps
	$(SWIFT) build -c release --product sfdest
	$(SWIFT) build -c release --product FakeBenchmarks
	BENCH_CLIENT_OLD="$(OLD_SFDEST)" $$($(SWIFT) build -c release --show-bin-path)/FakeBenchmarks

# Instructions per request of the fakes' in-process loops and per record of the client library's (callgrind:
# repeatable where the wall clock is not). OLD=path/to/an/old/FakeBenchmarks puts an older build beside this one,
# in the same run; BENCH_PARTS=client (or fakes, or served: the Account Engagement fake over a socket) runs one table.
bench-instructions: deps
	@command -v valgrind >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(APT_INSTALL) valgrind; }
	$(SWIFT) build -c release --product FakeBenchmarks
	contrib/bench/instructions.sh $(OLD) $$($(SWIFT) build -c release --show-bin-path)/FakeBenchmarks

clean:
	rm -rf .build .build-dist .build-fuzz .build-libmicrohttpd dist
