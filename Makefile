# Graphene top-level build. Each component adds its rules in its own fragment
# (libos/libos.mk, tools/tools.mk, proto/proto.mk, nsd/nsd.mk, paldaemon/pal.mk,
# tests/tests.mk).
# Outputs: user-facing programs in bin/, the libos image in lib/, objects in build/.

CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra
HOSTCFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -MMD -MP
BUILD   := build

PKG_LIBS := libevent libprotobuf-c libsodium sqlite3

.PHONY: all test bench fuzz run deps clean
all:

include proto/proto.mk
include libos/libos.mk
include nsd/nsd.mk
include paldaemon/pal.mk
include tools/tools.mk
include tests/tests.mk

# Installs the Debian packages the build and the tests need (root only; a
# no-op when they are already there).
DEB_PKGS := gcc make pkg-config clang libevent-dev libprotobuf-c-dev protobuf-c-compiler \
            libsodium-dev libsqlite3-dev sqlite3 python3 perl bash coreutils busybox-static expect \
            python3-sysv-ipc tmux libraft-dev libuv1-dev liblz4-dev
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing packages: $$missing (run as root)"; exit 1; fi; \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:
	rm -rf $(BUILD) bin lib
