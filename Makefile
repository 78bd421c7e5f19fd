# umlab: `make demo` and `make test` work on a fresh Debian machine (run as root).
SWIFT ?= swift
DEBS := libcapstone-dev libffi-dev busybox-static gcc make pkg-config strace procps \
        gcc-powerpc-linux-gnu libc6-dev-powerpc-cross qemu-user binutils-ia64-linux-gnu

.PHONY: all deps build release demo test bench clean

all: build

# Installs the Debian packages umlab and its tests need, if any is missing.
deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo: build
	.build/debug/umlab demo

# The tests run the release binary: the interpreting backends are slow unoptimised.
test: release
	$(SWIFT) test

bench: release
	UMLAB=$(CURDIR)/.build/release/umlab Benchmarks/x86_64/run.sh
	Benchmarks/ffi/run.sh
	UMLAB=$(CURDIR)/.build/release/umlab Benchmarks/powerpc/run.sh

clean:
	rm -rf .build Tests/programs/build Benchmarks/x86_64/build
