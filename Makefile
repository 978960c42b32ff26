# sfdest — the two commands a new user needs are `make run` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
APT_INSTALL = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

.PHONY: run fakes test build bench deps bench-deps clean peer-clients

# System packages the build needs: libmicrohttpd (the fakes' HTTP server) found through pkg-config, and
# openssl, which the TLS tests use to make a throwaway CA.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libmicrohttpd || ! command -v openssl >/dev/null 2>&1; then \
		echo "installing libmicrohttpd-dev, pkg-config and openssl through apt"; \
		$(SUDO) apt-get update -qq && $(APT_INSTALL) libmicrohttpd-dev pkg-config openssl; \
	fi

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
# built fakes over TLS.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test
	$(MAKE) --no-print-directory peer-clients

# Real PyPI clients of Salesforce's APIs, unchanged, against `sfdest fake` (see peer-clients/README.md).
peer-clients: deps
	$(SWIFT) build --product sfdest
	SFDEST_BIN="$$($(SWIFT) build --show-bin-path)/sfdest" bash peer-clients/run.sh

# One build per product: given several --product flags, SwiftPM builds only the last.
bench: bench-deps
	$(SWIFT) build -c release --product sfdest
	$(SWIFT) build -c release --product FakeBenchmarks
	$$($(SWIFT) build -c release --show-bin-path)/FakeBenchmarks

clean:
	rm -rf .build
