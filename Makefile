# umlab: `make demo` and `make test` work on a fresh Debian machine (run as root).
SWIFT ?= swift
DEBS := libcapstone-dev libffi-dev busybox-static gcc make pkg-config strace procps python3 bash bsdutils \
        gcc-powerpc-linux-gnu libc6-dev-powerpc-cross qemu-user binutils-ia64-linux-gnu \
        iproute2 net-tools netcat-openbsd curl wget nginx-light redis-server redis-tools apache2-utils tshark nodejs \
        libpython3.11-testsuite stress-ng dpkg-dev \
        expect user-mode-linux gdb-multiarch

.PHONY: all deps lua-src build release demo test net compat fuzz bench paper clean

all: build

# Installs the Debian packages umlab and its tests need, if any is missing.
deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# Debian's Lua 5.4 source: a real, unchanged C program the tests cross-compile for PowerPC.
# (Needs a deb-src entry; one is added for bookworm if there is none.)
LUA_SRC := Tests/programs/build/lua5.4
lua-src:
	@if [ ! -d $(LUA_SRC) ]; then \
	  mkdir -p Tests/programs/build && \
	  if ! grep -rqs '^Types: deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then \
	    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
	      > /etc/apt/sources.list.d/umlab-src.sources && apt-get update -q; fi; \
	  (cd Tests/programs/build && apt-get source -q lua5.4 >/dev/null 2>&1 && mv lua5.4-5.4.* lua5.4) \
	    || echo "note: Lua source unavailable; the Lua test will be skipped"; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo: build
	.build/debug/umlab demo

# The tests run the release binary (the interpreters are slow unoptimised): the one `release`
# just built, found with --show-bin-path. (A plain `swift test` uses .build/release/umlab and
# refuses it when a source file is newer.)
# The in-process kernel tests run on their own first: their scripted guests are Swift tasks,
# which the differential tests' blocking waits would starve of threads on two cores.
test: release lua-src
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter KernelTests
	UMLAB_BIN=$$($(SWIFT) build -c release --show-bin-path)/umlab $(SWIFT) test --skip-build --skip KernelTests

# The networking suites alone (they run in `make test` too): real servers and clients in
# guests (busybox, netcat, python3, node, nginx, redis, a C pair on PowerPC), --publish from the
# host, --allow, the DNS answerer and --net-log (Networking.swift), the network view and the
# switch (NetworkView.swift, NetworkMachines.swift).
net: release
	$(SWIFT) build --build-tests
	UMLAB_BIN=$$($(SWIFT) build -c release --show-bin-path)/umlab $(SWIFT) test --skip-build --skip KernelTests --filter Network

# The compatibility runs (docs/compat.md): CPython's regression suite, busybox's testsuite and
# stress-ng, natively and under umlab, test by test; rewrites docs/compat.md's results and fails
# on a regression that Tests/compat/exclusions.txt does not explain. `make test` runs a fast
# subset of each (UmlabTests Compatibility). COMPAT_SUITES, COMPAT_MODES and COMPAT_SUITE_MODES
# (a suite's own modes: busybox's testsuite runs in tt as well) choose.
COMPAT_SUITES ?= cpython,busybox,stressng
COMPAT_MODES ?= skas,seccomp
COMPAT_SUITE_MODES ?= busybox=skas,seccomp,tt
compat: release lua-src
	python3 Tests/compat/compat.py --umlab $$($(SWIFT) build -c release --show-bin-path)/umlab \
	  --suite $(COMPAT_SUITES) --modes $(COMPAT_MODES) $(addprefix --suite-modes ,$(COMPAT_SUITE_MODES)) \
	  --doc docs/compat.md --check

# The fuzz campaign (Tests/fuzz/README.md): ELF mutants for three ISAs, hostile system calls in
# every x86-64 and PowerPC mode, random instruction streams for both interpreters. Sizes and seed
# are variables: make fuzz FUZZ_ELF=5000 FUZZ_SEED=7. `make test` runs a short one (UmlabTests
# Fuzzing). Crashers land in $(FUZZ_OUT)/crashers; the figures in $(FUZZ_OUT)/figures.json.
FUZZ_SEED ?= 1
FUZZ_ELF ?= 50000
FUZZ_SYSCALLS ?= 1000000
FUZZ_WORDS ?= 10000000
FUZZ_OUT ?= /var/tmp/umlab-fuzz
fuzz: release
	python3 Tests/fuzz/fuzz.py --umlab $$($(SWIFT) build -c release --show-bin-path)/umlab --seed $(FUZZ_SEED) \
	  --elf $(FUZZ_ELF) --syscalls $(FUZZ_SYSCALLS) --insn-words $(FUZZ_WORDS) --out $(FUZZ_OUT) --json $(FUZZ_OUT)/figures.json

bench: release
	UMLAB=$(CURDIR)/.build/release/umlab Benchmarks/x86_64/run.sh
	Benchmarks/ffi/run.sh
	UMLAB=$(CURDIR)/.build/release/umlab Benchmarks/powerpc/run.sh
	UMLAB=$(CURDIR)/.build/release/umlab Benchmarks/ia64/run.sh

# The TT-vs-SKAS study: rewrites papers/tt-vs-skas/ (results, charts, the paper) from scratch.
paper: release
	.build/release/umlab bench

clean:
	rm -rf .build Tests/programs/build Benchmarks/x86_64/build
