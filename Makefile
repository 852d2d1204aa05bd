# qnetd - a wire-compatible corosync-qnetd.  Plain, strict make.
#
#   make                 build the daemon, the tool and the helpers into $(BUILD)/
#   make check           build and run every test (unit + black-box)
#   make check SANITIZE=address,undefined
#   make check-workers   protocol/tool/IPC/metrics tests against -S workers=2
#   make fuzz            build the libFuzzer targets (clang)
#   make soak [SOAK_S=1800] [SANITIZE=...]  churn, then check RSS, fds, findings
#   make install DESTDIR=... PREFIX=/usr   (and make uninstall)
#   make deb             the Debian package qnetd, in $(BUILD)/deb/
#                        (DEB_VERSION=V: version V instead of debian/changelog's)
#   make style layers funclen   the gates CI runs first: clang-format, the
#                        layers' include rules (tests/style/layers.txt), and
#                        no function in src/ over 80 lines

PREFIX    ?= /usr
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
# Helpers the programs run, not meant to be run by hand.
HELPERDIR ?= $(LIBEXECDIR)/corosync-qnetd
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR   ?= /lib/systemd/system
VERSION   := 3.0.3

CC        ?= cc
SANITIZE  ?=
comma     := ,
ifeq ($(SANITIZE),)
BUILD     ?= build
else
BUILD     ?= build-$(subst $(comma),-,$(SANITIZE))
endif

PKGS      := nss nspr libqb libsystemd
# pkg-config module -> Debian package that provides it
pkg_deb_nss        := libnss3-dev
pkg_deb_nspr       := libnspr4-dev
pkg_deb_libqb      := libqb-dev
pkg_deb_libsystemd := libsystemd-dev

# Debian 12 packages: build, run, and every test (interop and differential
# tests run Debian's own corosync, corosync-qdevice and corosync-qnetd).
DEB_BUILD_DEPS := build-essential pkg-config libnss3-dev libnspr4-dev libqb-dev libsystemd-dev
DEB_RUN_DEPS   := libnss3-tools
DEB_TEST_DEPS  := debhelper dpkg-dev systemd-container python3 clang corosync corosync-qdevice corosync-qnetd mandoc iproute2 \
                  nftables procps psmisc openssl systemd util-linux curl python3-jsonschema \
                  clang-format valgrind
# test_ocf_agent.sh (ocf-tester, the agent, xmllint)
DEB_TEST_DEPS  += resource-agents libxml2-utils
# the Prometheus rules, dashboard and live-scrape tests
DEB_TEST_DEPS  += python3-yaml prometheus
# Only for make interop-ha (the arbiter under Pacemaker), which CI does not run:
# make setup-ha installs them.
DEB_HA_DEPS    := pacemaker pacemaker-cli-utils
ifeq ($(filter clean style layers funclen help setup,$(MAKECMDGOALS)),)
ifeq ($(shell command -v pkg-config 2>/dev/null),)
$(error pkg-config not found: apt-get install pkg-config)
endif
$(foreach p,$(PKGS),$(if $(shell pkg-config --exists $(p) && echo y),,\
	$(error $(p) not found by pkg-config: apt-get install $(pkg_deb_$(p)))))
endif

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wpointer-arith -Wcast-qual -Wformat=2 -Wno-format-nonliteral
HARDEN    := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
OPT       ?= -O2 -g
CPPFLAGS  += -Iinclude -D_GNU_SOURCE -DQNETD_VERSION='"$(VERSION)"' \
             -DQNETD_SYSCONFDIR='"$(SYSCONFDIR)"'
CFLAGS    += -std=gnu11 $(OPT) $(WARN) $(HARDEN) -MMD -MP \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS   += -pie -Wl,-z,relro -Wl,-z,now
LDLIBS    += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

ifneq ($(SANITIZE),)
CFLAGS    += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=$(SANITIZE)
HARDEN    := -fPIE
endif

# src/<layer>/: base, codec, core, algo, net, session, control, extras
# (the library), daemon (main) and tools (the status and certificate tools).
DAEMON_MAIN := src/daemon/main.c
TOOL_SRCS   := $(wildcard src/tools/*.c)
# corosync-qnetd-enroll, the enrollment service: its own program (src/enrolld/).
ENROLLD_SRCS := $(wildcard src/enrolld/*.c)
# corosync-qnetd-ca: the helper behind corosync-qnetd-certutil -s and its
# enrollment commands (src/catool/ over the enroll library).
CATOOL_SRCS := $(wildcard src/catool/*.c)
LIB_SRCS    := $(filter-out $(DAEMON_MAIN) $(TOOL_SRCS) $(ENROLLD_SRCS) $(CATOOL_SRCS),$(wildcard src/*/*.c))
LIB_OBJS    := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB         := $(BUILD)/libqnetd.a

UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/%)
# LD_PRELOAD allocation-failure injection (tests/blackbox/test_fault_alloc.py)
FAULT_SO    := $(BUILD)/tests/failmalloc.so
BENCH_SRCS  := $(wildcard tests/bench/*.c)
BENCH_BIN   := $(if $(BENCH_SRCS),$(BUILD)/qnetd-bench)

PROGRAMS    := $(BUILD)/corosync-qnetd $(BUILD)/corosync-qnetd-tool $(BUILD)/corosync-qnetd-certutil \
               $(BUILD)/corosync-qnetd-enroll $(BUILD)/corosync-qnetd-join
MANPAGES    := man/corosync-qnetd.8 man/corosync-qnetd-tool.8 man/corosync-qnetd-certutil.8 \
               man/corosync-qnetd-enroll.8 man/corosync-qnetd-join.8

.PHONY: programs setup setup-ha run all check unit blackbox fuzz clean install uninstall style layers funclen bench interop interop-ha soak help deb \
	check-workers interop-workers
HELPERS     := $(BUILD)/corosync-qnetd-ca
all: $(PROGRAMS) $(HELPERS) $(UNIT_BINS) $(HELPER_BINS) $(BENCH_BIN) $(FAULT_SO)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/corosync-qnetd: $(BUILD)/src/daemon/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The tool links only libc, as upstream's does.
$(BUILD)/corosync-qnetd-tool: $(TOOL_SRCS:%.c=$(BUILD)/%.o)
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/corosync-qnetd-ca: $(CATOOL_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/corosync-qnetd-certutil: src/tools/corosync-qnetd-certutil.sh
	@mkdir -p $(dir $@)
	sed -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@HELPERDIR@|$(HELPERDIR)|g' $< > $@ && chmod 755 $@

$(BUILD)/corosync-qnetd-enroll: $(ENROLLD_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Where the service finds the join script it serves at /v1/join.sh.
$(BUILD)/src/enrolld/main.o: CPPFLAGS += -DQNETD_JOIN_SCRIPT='"$(BINDIR)/corosync-qnetd-join"'

$(BUILD)/corosync-qnetd-join: src/tools/corosync-qnetd-join.sh
	@mkdir -p $(dir $@)
	cp $< $@ && chmod 755 $@

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/helpers/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Never sanitized itself: it sits in front of the sanitizer's allocator.
$(FAULT_SO): tests/faults/failmalloc.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -fPIC -shared -D_GNU_SOURCE $(WARN) -o $@ $< -ldl

$(BUILD)/qnetd-bench: $(BENCH_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Install everything needed to build, run and test (Debian 12, as root).
setup:
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_BUILD_DEPS) $(DEB_RUN_DEPS) $(DEB_TEST_DEPS)

setup-ha: setup
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_HA_DEPS)

# Build, then run the daemon in the foreground with a private NSS db made by
# our certutil under $(BUILD)/run (port 5403, status: see README).
RUN_DIR := $(abspath $(BUILD))/run
run: all
	@mkdir -p $(RUN_DIR)
	@[ -f $(RUN_DIR)/qnetd/nssdb/cert9.db ] || \
		QNETD_CONFIG_DIR=$(RUN_DIR)/qnetd $(BUILD)/corosync-qnetd-certutil -i
	$(BUILD)/corosync-qnetd -f -S nss_db_dir=$(RUN_DIR)/qnetd/nssdb,lock_file=$(RUN_DIR)/corosync-qnetd.pid,local_socket_file=$(RUN_DIR)/corosync-qnetd.sock $(QNETD_ARGS)

check: all
	BUILD=$(BUILD) tests/run.sh all

unit: all
	BUILD=$(BUILD) tests/run.sh unit

blackbox: all
	BUILD=$(BUILD) tests/run.sh blackbox

# libFuzzer targets: every tests/fuzz/fuzz_*.c links the library sources built by clang.
FUZZ_BUILD := build-fuzz
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Iinclude -D_GNU_SOURCE -DQNETD_VERSION='"$(VERSION)"' \
	-DQNETD_SYSCONFDIR='"$(SYSCONFDIR)"' -fsanitize=fuzzer,address,undefined \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
fuzz: $(FUZZ_BINS)
$(FUZZ_BUILD)/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(LDLIBS)

bench: all
	BUILD=$(BUILD) tests/bench/run.sh

interop: all
	BUILD=$(BUILD) tests/interop/run.sh $(INTEROP_ARGS)

# The active/standby arbiter under Pacemaker (docs/interop.md, docs/admin.md).
interop-ha: all
	BUILD=$(BUILD) tests/interop/run.sh $(INTEROP_ARGS) ha

# Churn for SOAK_S seconds (tests/soak/soak.py); with SANITIZE=... the same
# churn under the sanitizers, judged on their findings instead of RSS.
SOAK_S ?= 1800
soak: all
	BUILD=$(BUILD) SOAK_S=$(SOAK_S) python3 tests/soak/soak.py

# The multi-process daemon (-S workers=2, docs/workers.md) through tests written for one
# process: the same transcripts, tool output and metrics.  check-workers: ~3 min here;
# interop-workers: 5 scenarios, ~75 s (run it under flock /tmp/qnetd-interop.lock).
WORKERS_TESTS   := test_proto_differential test_tool test_proto_ipc test_extra_metrics test_extra_json
WORKERS_INTEROP := ffsplit2 multi tlsreq observe ecdsa
check-workers: all
	@failed=0; for t in $(WORKERS_TESTS); do \
		if QNETD_TEST_ARGS="-S workers=2" BUILD=$(BUILD) python3 tests/blackbox/$$t.py \
		    >$(BUILD)/$$t.workers.log 2>&1; then echo "PASS $$t (workers=2)"; \
		else echo "FAIL $$t (workers=2): $(BUILD)/$$t.workers.log"; failed=1; fi; \
	done; exit $$failed

interop-workers: all
	QNETD_ARGS="-S workers=2" BUILD=$(BUILD) tests/interop/run.sh $(WORKERS_INTEROP)

style:
	clang-format --dry-run --Werror src/*/*.c $(wildcard src/*/*.h) include/*/*.h

# No include of a higher layer, no include circle (tests/style/layers.txt).
layers:
	python3 tests/style/layers.py .

# No function in src/ longer than 80 lines.
funclen:
	python3 tests/style/funclen.py --max 80 src

# Debian's layout: programs in /usr/bin, the units in /lib/systemd/system.
# corosync-qnetd-join runs on cluster nodes; it ships here so that the
# enrollment service can serve it (GET /v1/join.sh).
# /etc/corosync/qnetd stays 0755 root:root as Debian has it: the daemon's
# user must traverse it to reach nssdb/, which postinst (or the admin,
# see corosync-qnetd(8)) gives to group coroqnetd.  An existing
# /etc/default/corosync-qnetd is the admin's and is not overwritten.
install: $(PROGRAMS) $(HELPERS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(HELPERDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(PREFIX)/lib/sysusers.d \
		$(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 755 $(HELPERS) $(DESTDIR)$(HELPERDIR)/
	install -m 644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/
	install -m 644 systemd/corosync-qnetd.service $(DESTDIR)$(UNITDIR)/
	install -m 644 systemd/corosync-qnetd-enroll.service $(DESTDIR)$(UNITDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/corosync-qnetd ] || \
		install -m 644 systemd/corosync-qnetd.default \
		$(DESTDIR)$(SYSCONFDIR)/default/corosync-qnetd
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/corosync-qnetd-enroll ] || \
		install -m 644 systemd/corosync-qnetd-enroll.default \
		$(DESTDIR)$(SYSCONFDIR)/default/corosync-qnetd-enroll
	install -m 644 systemd/corosync-qnetd.sysusers \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d/corosync-qnetd.conf
	install -m 644 systemd/corosync-qnetd.tmpfiles \
		$(DESTDIR)$(PREFIX)/lib/tmpfiles.d/corosync-qnetd.conf
	install -d -m 755 $(DESTDIR)$(SYSCONFDIR)/corosync/qnetd

# Leaves the admin's files: /etc/default/corosync-qnetd{,-enroll} and the NSS db.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGRAMS))) \
		$(addprefix $(DESTDIR)$(HELPERDIR)/,$(notdir $(HELPERS))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MANPAGES))) \
		$(DESTDIR)$(UNITDIR)/corosync-qnetd.service \
		$(DESTDIR)$(UNITDIR)/corosync-qnetd-enroll.service \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d/corosync-qnetd.conf \
		$(DESTDIR)$(PREFIX)/lib/tmpfiles.d/corosync-qnetd.conf

# The installed programs only (what the Debian package builds).
programs: $(PROGRAMS) $(HELPERS)

# Binary package qnetd (debian/), built in a copy of the tree under
# $(BUILD)/deb so that dpkg-buildpackage's output stays out of the source.
DEB_DIR := $(abspath $(BUILD))/deb
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/qnetd
	tar --exclude=./.git --exclude=./build --exclude='./build-*' -cf - . | \
		tar -C $(DEB_DIR)/qnetd -xf -
	# DEB_VERSION=V: the package version V instead of debian/changelog's
	# (in the copy only), e.g. a second, newer build to test an upgrade.
	if [ -n "$(DEB_VERSION)" ]; then \
		sed -i '1s/([^)]*)/($(DEB_VERSION))/' $(DEB_DIR)/qnetd/debian/changelog; \
	fi
	# A clean environment: variables given to this make (BUILD=...) must not
	# reach the package build's own make (through MAKEFLAGS or the
	# environment, where make puts command-line variables).
	cd $(DEB_DIR)/qnetd && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u BUILD -u SANITIZE \
		dpkg-buildpackage -b -us -uc
	ls -l $(DEB_DIR)/*.deb

clean:
	rm -rf build build-* 

# Only our dependency files: not the package build's copy in $(BUILD)/deb,
# whose staging tree also has directories named *.d (sysusers.d, ...).
-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)
