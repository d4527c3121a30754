# hutch — build, test and try the runtime. Run as root on Debian 12.

GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/sbin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BATS    ?= bats
# Extra arguments for bats, e.g. BATSFLAGS="-f kill" or "--jobs 4".
BATSFLAGS ?=

# The binary contains a C constructor (libcontainer/nsenter): cgo is required.
export CGO_ENABLED := 1
export PATH := $(PATH):/usr/local/go/bin
# encoding/json on the json/v2 engine (Go's own, same API and v1 behaviour):
# the first decode of config.json in a fresh process, where the reflection
# caches are cold, takes 0.29 ms instead of 0.80 ms (create).
# Tests, vet and benchmarks build the same way. Go's default collector
# (Green Tea) is used: with the heap in huge pages (libcontainer/gomem),
# the previous one saved nothing (bt life, 40 interleaved runs: create
# 17.55 ms with Green Tea, 17.48 without; 237 and 240 faults).
export GOEXPERIMENT := jsonv2

# systemd, dbus, dbus-user-session: the private systemd of `make systemd`.
# criu: Debian's 3.17.1, which the checkpoint tests use only to check the
# error for a CRIU too old for the kernel (see docs/checkpoint.md).
DEPS_PKGS := bats jq busybox-static uidmap tmux systemd dbus dbus-user-session iproute2 criu

.NOTPARALLEL:

.PHONY: all build test unit integration systemd engines testtools demo deps install uninstall clean fmt vet bench gobench

all: build

# Static (no ld.so, no libc relocations at each of the 2-3 starts per
# container), without debug info, and without urfave/cli's markdown/man
# generators (blackfriday's package init). osusergo/netgo: the pure-Go
# user and net code, which static linking requires.
GOTAGS  ?= osusergo,netgo,urfave_cli_no_docs
LDFLAGS ?= -s -w -linkmode external -extldflags -static

build:
	$(GO) build -trimpath -tags $(GOTAGS) -ldflags "$(LDFLAGS) -X main.version=$(VERSION)" -o hutch .

# bench: hutch against crun and runc with the shared benchmark harness
# (../shared/bench, see its README; BENCH_ENV e.g. "N=20 NSTATE=50 NQUERY=10
# RPAR=2" for a quick look). It creates containers: take the bats lock.
BENCH     ?= ../shared/bench/bench.sh
BENCH_ENV ?=
bench: build
	@for rt in runc crun; do command -v $$rt >/dev/null || { \
		echo "installing $$rt"; DEBIAN_FRONTEND=noninteractive apt-get install -y $$rt || \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$rt; }; }; done
	env $(BENCH_ENV) $(BENCH) crun hutch=./hutch runc

# gobench: Go benchmarks of the hot paths (config decode, state read, list,
# seccomp encoding).
gobench:
	$(GO) test -run '^$$' -bench . -benchmem ./libcontainer/spec ./libcontainer/state ./libcontainer/seccomp

# deps installs what the test suite needs, only when something is missing.
deps:
	@missing=; \
	for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y $$missing || { apt-get update && apt-get install -y $$missing; }; \
	fi

test: deps build vet unit integration systemd

unit:
	$(GO) test ./...

integration: build testtools
	$(BATS) $(BATSFLAGS) tests/integration

# systemd: the --systemd-cgroup tests (tests/systemd), each file against a
# private systemd started by ../shared/systemd-env (this machine is not
# booted with systemd), once per cgroup layout: hybrid (this host's),
# legacy, unified. SDENV_DIR=... points elsewhere for the env's scripts.
SDENV_MODES ?= hybrid legacy unified
systemd: build testtools
	@st=0; for m in $(SDENV_MODES); do \
		echo "--- systemd tests, $$m layout"; \
		SDENV_MODE=$$m $(BATS) $(BATSFLAGS) tests/systemd || st=1; \
	done; exit $$st

# engines: hutch under the real engines (podman, containerd, docker, CRI).
# Each test file installs its engine from Debian's packages and keeps its
# state in private directories; run by CI after `make test`.
engines: build testtools
	$(BATS) $(BATSFLAGS) tests/engines

# testtools: the console socket of the terminal tests (recvtty); static
# binaries the tests copy into containers: the sd_notify stand-in
# (sdnotify), the keyring probe (keyctl) and the syscall caller of the
# seccomp tests (syscallnr).
testtools:
	$(GO) build -o tests/.cache/recvtty ./tests/cmd/recvtty
	CGO_ENABLED=0 $(GO) build -o tests/.cache/sdnotify ./tests/cmd/sdnotify
	CGO_ENABLED=0 $(GO) build -o tests/.cache/keyctl ./tests/cmd/keyctl
	CGO_ENABLED=0 $(GO) build -o tests/.cache/syscallnr ./tests/cmd/syscallnr
	$(GO) build -o tests/.cache/seccompagent ./tests/cmd/seccompagent

# demo: a busybox container that greets from inside.
demo: build
	HUTCH=./hutch ARGS='["/bin/sh","-c","echo hello from hutch: $$(hostname), pid $$$$; id"]' \
		hack/mkbundle.sh .demo
	./hutch delete --force demo
	./hutch run --bundle .demo demo

install: build
	install -D -m 0755 hutch $(DESTDIR)$(BINDIR)/hutch

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hutch

clean:
	rm -rf hutch .demo tests/.cache

fmt:
	gofmt -l -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...
