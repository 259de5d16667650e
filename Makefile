# memhp - GNU Makefile
#
#   make                      library (static and shared), the memhp program, tests, benchmarks
#   make check                build and run every test (TAP, through prove)
#   make WERROR=1             warnings are errors
#   make SAN=address,undefined / SAN=thread
#                             sanitizer builds, each in its own build directory
#   make DEBUG=1              a debug build (in its own build directory): lockdep
#                             checks every lock the library takes (src/lib/lockdep.h),
#                             as the sanitizer builds do too
#   make CC=clang             any C11 compiler that speaks gcc's flags
#   make install              the program, its man page and scenarios, the library
#                             (static, and shared with its soname), headers and
#                             memhp.pc under $(DESTDIR)$(PREFIX)
#   make fuzz                 the sysfs write fuzzer (clang, libFuzzer), in build/fuzz

CC ?= cc
SAN ?=
DEBUG ?=
WERROR ?=
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
# memhp finds its scenarios at BINDIR/../share/memhp: keep the two together.
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# A test binary that runs longer than this is a hang (offlining retries
# forever by design): fail it instead of stalling CI.
TEST_TIMEOUT ?= 300

comma := ,
# One build directory per compiler and sanitizer set, so builds never mix.
CCNAME := $(notdir $(firstword $(CC)))
B ?= build/$(if $(filter cc,$(CCNAME)),default,$(CCNAME))$(if $(DEBUG),-debug)$(if $(SAN),-san-$(subst $(comma),-,$(SAN)))
ifeq ($(SAN)$(DEBUG),)
OPT ?= -O2
else
OPT ?= -O1
# Lock assertions and the lock order (src/lib/lockdep.h).
CPPFLAGS += -DMEMHP_LOCKDEP
endif

CPPFLAGS += -Iinclude -D_GNU_SOURCE
CFLAGS += -std=gnu11 $(OPT) -g -pthread -fPIC -fvisibility=hidden \
	  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifneq ($(WERROR),)
CFLAGS += -Werror
endif
ifneq ($(SAN),)
CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif
# tests/tsan.supp says why each suppression is a false positive.
export TSAN_OPTIONS := suppressions=$(abspath tests/tsan.supp) second_deadlock_stack=1 halt_on_error=1
export UBSAN_OPTIONS := print_stacktrace=1 halt_on_error=1
LDLIBS += -pthread -lm

# Helpers every part uses (the kernel's string parsers, a growable
# buffer): internal, so the program links its own copy beside the library.
UTIL_SRCS := $(wildcard src/lib/*.c)
# The library: the mm core, workloads, drivers and the device model.
LIB_SRCS := $(wildcard src/mm/*.c src/workload/*.c src/drivers/*.c src/device/*.c src/sysfs/*.c) \
	    $(UTIL_SRCS)
# The memhp program: the CLI with Lua, the FUSE file systems, QMP.
CLI_SRCS := $(wildcard src/cli/*.c src/fs/*.c src/qmp/*.c)
CLI_PKGS := lua5.4 fuse3 jansson
TEST_SRCS := $(wildcard tests/test_*.c)
# Tests that drive the memhp program or real tools: executable, TAP out.
TEST_SCRIPTS := $(wildcard tests/*.sh)
BENCH_SRCS := $(wildcard bench/bench_*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
UTIL_OBJS := $(UTIL_SRCS:%.c=$(B)/%.o)
# memhp demo runs src/cli/demo.lua from a copy built into the program.
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o) $(B)/src/cli/demo_lua.o
TESTS := $(TEST_SRCS:tests/%.c=$(B)/tests/%)
BENCHES := $(BENCH_SRCS:bench/%.c=$(B)/bench/%)

# The library's version is the header's; the soname's number changes only
# when the ABI does (a program built against one still runs on the next).
VERSION := $(shell sed -n 's/^\#define MEMHP_VERSION "\(.*\)"$$/\1/p' include/memhp/memhp.h)
SOVERSION := 0
SONAME := libmemhp.so.$(SOVERSION)
SHLIB := libmemhp.so.$(VERSION)

all: $(B)/libmemhp.a $(B)/$(SHLIB) $(B)/memhp $(TESTS) $(BENCHES)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# The static library exports only the public API: internal symbols are
# linked into one object and made local.
$(B)/libmemhp.a: $(LIB_OBJS)
	$(LD) -r -o $(B)/memhp-all.o $(LIB_OBJS)
	objcopy --localize-hidden $(B)/memhp-all.o
	rm -f $@ && $(AR) rcs $@ $(B)/memhp-all.o

# libmemhp.so -> libmemhp.so.0 -> libmemhp.so.0.1.0, as ldconfig and the
# linker expect: programs record the soname, the linker finds the first.
$(B)/$(SHLIB): $(LIB_OBJS)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -o $@ $(LIB_OBJS) $(LDLIBS)
	ln -sf $(SHLIB) $(B)/$(SONAME)
	ln -sf $(SONAME) $(B)/libmemhp.so

$(CLI_OBJS): CPPFLAGS += $(shell pkg-config --cflags $(CLI_PKGS))
$(B)/src/cli/demo_lua.c: src/cli/demo.lua scripts/embed
	@mkdir -p $(dir $@)
	scripts/embed demo_lua $< > $@
$(B)/src/cli/demo_lua.o: $(B)/src/cli/demo_lua.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
# The deterministic scheduler (src/cli/det.c) stands between memhp's
# threads and these calls; off, each costs a predictable branch.
# One name per line in src/cli/det.wrap: the fuzzers link det.c too.
DET_WRAPPED := $(shell cat src/cli/det.wrap)
DET_WRAP := $(foreach f,$(DET_WRAPPED),-Wl,--wrap=$(f))
$(B)/memhp: $(CLI_OBJS) $(UTIL_OBJS) $(B)/libmemhp.a
	$(CC) $(LDFLAGS) $(DET_WRAP) -o $@ $(CLI_OBJS) $(UTIL_OBJS) $(B)/libmemhp.a $(shell pkg-config --libs $(CLI_PKGS)) $(LDLIBS)

# Tests are white-box: they link the library's objects directly.
$(B)/tests/%: $(B)/tests/%.o $(B)/tests/harness.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# test_trace reads the timeline's Chrome trace back with jansson, as the
# viewers do: it links the timeline of the memhp program.
TRACE_TEST_OBJS := $(B)/src/cli/timeline.o $(B)/src/cli/run_util.o
$(B)/tests/test_trace.o: CPPFLAGS += $(shell pkg-config --cflags jansson)
$(B)/tests/test_trace: $(B)/tests/test_trace.o $(B)/tests/harness.o $(TRACE_TEST_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs jansson) $(LDLIBS)

# The QMP tests drive src/qmp, which the library does not hold: they link
# its objects too, and jansson.
QMP_OBJS := $(wildcard src/qmp/*.c)
QMP_OBJS := $(QMP_OBJS:%.c=$(B)/%.o)
$(B)/tests/test_qmp.o: CPPFLAGS += $(shell pkg-config --cflags jansson)
$(B)/tests/test_qmp: $(B)/tests/test_qmp.o $(B)/tests/harness.o $(QMP_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs jansson) $(LDLIBS)

$(B)/bench/%: $(B)/bench/%.o $(B)/libmemhp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/harness.o: tests/harness.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Tests run two at a time (CHECK_JOBS): each has its own temporary
# directory, mounts and machines. Under SAN=..., MEMHP_SAN tells the tests
# that do not run the build under test (the clang fuzzers, the spin model,
# formatting) that the default check has run them already.
# lifecycle.sh runs alone, after the rest: it leaves stale shell
# directories in /tmp for the next memhp shell to remove and say so, and
# a shell of a test running beside it would remove them first.
CHECK_JOBS ?= 2
TEST_SCRIPTS_ALONE := tests/lifecycle.sh
check: all
	MEMHP=$(abspath $(B)/memhp) MEMHP_SAN=$(SAN) prove -j$(CHECK_JOBS) --exec 'timeout $(TEST_TIMEOUT)' --timer $(TESTS) $(filter-out $(TEST_SCRIPTS_ALONE),$(TEST_SCRIPTS))
	MEMHP=$(abspath $(B)/memhp) MEMHP_SAN=$(SAN) prove --exec 'timeout $(TEST_TIMEOUT)' --timer $(TEST_SCRIPTS_ALONE)
ifeq ($(SAN)$(DEBUG),)
	@# The unit tests once more with lockdep on (the sanitizer builds have it).
	$(MAKE) DEBUG=1 B=$(B)-debug check-unit
endif

# The unit tests alone, not the programs' tests.
check-unit: $(TESTS)
	prove -j$(CHECK_JOBS) --exec 'timeout $(TEST_TIMEOUT)' --timer $(TESTS)

# Man pages: doc/*.1 (section 1; front ends add theirs beside memhp.1).
MAN1 := $(wildcard doc/*.1)

install: $(B)/memhp $(B)/libmemhp.a $(B)/$(SHLIB)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/memhp $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(DATADIR)/memhp/scenarios $(DESTDIR)$(DATADIR)/doc/memhp
	install -m 755 $(B)/memhp $(DESTDIR)$(BINDIR)/memhp
	install -m 644 $(B)/libmemhp.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/$(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SHLIB) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmemhp.so
	install -m 644 include/memhp/*.h $(DESTDIR)$(INCLUDEDIR)/memhp/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		memhp.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/memhp.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/memhp.pc
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 scenarios/*.lua $(DESTDIR)$(DATADIR)/memhp/scenarios/
	install -m 644 docs/scenarios.md $(DESTDIR)$(DATADIR)/doc/memhp/
	@# The loader finds a new soname only once ldconfig has seen it.
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then \
		ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/memhp $(DESTDIR)$(LIBDIR)/libmemhp.a \
		$(DESTDIR)$(LIBDIR)/libmemhp.so $(DESTDIR)$(LIBDIR)/$(SONAME) \
		$(DESTDIR)$(LIBDIR)/$(SHLIB) $(DESTDIR)$(PKGCONFIGDIR)/memhp.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/memhp $(DESTDIR)$(DATADIR)/memhp \
		$(DESTDIR)$(DATADIR)/doc/memhp
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))

# The sysfs write fuzzer (libFuzzer): always clang, whatever CC is.
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -g -O1 -pthread -Iinclude -D_GNU_SOURCE \
	      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SRCS := $(LIB_SRCS) tests/fuzz/fuzz_sysfs_write.c
build/fuzz/fuzz_sysfs_write: $(FUZZ_SRCS) $(wildcard include/memhp/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_SRCS) -lm
fuzz: build/fuzz/fuzz_sysfs_write

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

.PHONY: all check check-unit install uninstall fuzz format clean
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
