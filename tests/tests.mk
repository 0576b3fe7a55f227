# Test and benchmark wiring. Every test is a TAP-emitting executable script
# named tests/<suite>/*.t; `make test` hands them all to prove(1), which prints
# the summary. Component fragments append build prerequisites of their tests
# to TEST_DEPS and benchmark scripts (tests/bench/*.sh style) to BENCH_SCRIPTS.

# --- C test programs (tests/progs) -------------------------------------------
# Every tests/progs/*.c becomes build/tests/progs/<name> (dynamically linked);
# a few are also linked -static (<name>-static) because a static binary
# starts without ld.so and takes a different path through the libos loader.
# The differential suite runs every t_* binary; escape, hello and
# bench_syscall are driven by escape.t and tests/bench/libos_bench.sh.
TPROG_DIR     := $(BUILD)/tests/progs
TPROG_SRCS    := $(wildcard tests/progs/*.c)
TPROG_DYN     := $(patsubst tests/progs/%.c,$(TPROG_DIR)/%,$(TPROG_SRCS))
TPROG_STATIC  := $(addprefix $(TPROG_DIR)/,t_threads-static t_signals-static t_sigsegv-static t_auxv-static hello-static)
TBENCH_RUNTIME := $(BUILD)/tests/bench/runtime

TDEP_DIR      := $(BUILD)/tests/deps

# Dependency files go to their own dir: the progs dir is mounted into the
# sandbox and the diff suite runs every t_* file in it.
$(TPROG_DIR)/%: tests/progs/%.c | $(TPROG_DIR) $(TDEP_DIR)
	$(CC) $(HOSTCFLAGS) -pthread -o $@ $< -MF $(TDEP_DIR)/$(@F).d

$(TPROG_DIR)/%-static: tests/progs/%.c | $(TPROG_DIR) $(TDEP_DIR)
	$(CC) $(HOSTCFLAGS) -pthread -static -DSTATIC_BUILD -o $@ $< -MF $(TDEP_DIR)/$(@F).d

# The library t_fastpath dlopens late (named lib*, so the diff suite does
# not run it).
TPROG_LIBS := $(TPROG_DIR)/libfpdl.so
$(TPROG_DIR)/libfpdl.so: tests/progs/lib/fpdl.c | $(TPROG_DIR) $(TDEP_DIR)
	$(CC) $(HOSTCFLAGS) -shared -fPIC -o $@ $< -MF $(TDEP_DIR)/$(@F).d

$(TBENCH_RUNTIME): tests/bench/runtime.c | $(BUILD)/tests/bench $(TDEP_DIR)
	$(CC) $(HOSTCFLAGS) -o $@ $< -MF $(TDEP_DIR)/$(@F).d

$(TPROG_DIR) $(BUILD)/tests/bench $(TDEP_DIR):
	mkdir -p $@

.PHONY: test-progs
test-progs: $(TPROG_DYN) $(TPROG_STATIC) $(TPROG_LIBS) $(TBENCH_RUNTIME)

TEST_DEPS += $(TPROG_DYN) $(TPROG_STATIC) $(TPROG_LIBS) $(TBENCH_RUNTIME)
BENCH_SCRIPTS += tests/bench/libos_bench.sh tests/bench/build_bench.sh

-include $(wildcard $(TDEP_DIR)/*.d)

include tests/unit/unit.mk
include tests/libos/libos.mk
include tests/rpc/rpc.mk
include tests/pal/pal.mk

# The rules below expand TEST_DEPS when they are read, so the additions above
# must come first.

TEST_SCRIPTS = $(sort $(wildcard tests/*/*.t))

# test, bench and run first install missing packages, then re-enter make so
# that pkg-config answers for the freshly installed libraries.
.PHONY: check run-bench run-demo
test: deps
	@$(MAKE) --no-print-directory check
# The embedded nsd of every `graphene run` lives in this worktree's own
# runtime directory, not in the machine's /run/graphene.
TEST_RUNTIME_DIR := $(abspath $(BUILD))/run
check: all $(TEST_DEPS)
	GRAPHENE_RUNTIME_DIR=$(TEST_RUNTIME_DIR) tests/run.sh $(TEST_SCRIPTS)

bench: deps
	@$(MAKE) --no-print-directory run-bench
run-bench: all $(TEST_DEPS)
	@for b in $(BENCH_SCRIPTS); do bash $$b || exit 1; done

run: deps
	@$(MAKE) --no-print-directory run-demo
run-demo: all
	bin/graphene run manifests/demo.toml
	@echo
	manifests/demo/run.sh
