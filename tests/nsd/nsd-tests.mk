# nsd tests: simulated picoprocess clients (no libos needed) and the fuzz
# target. Included from nsd/nsd.mk.

NSD_SIM_OBJ := $(BUILD)/tests/nsd/sim.o
NSD_TESTBIN := $(BUILD)/tests/nsd

$(BUILD)/tests/nsd/%.o: tests/nsd/%.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(NSD_CFLAGS) -Itests/nsd -c $< -o $@

$(NSD_TESTBIN)/nsd_testclient: $(BUILD)/tests/nsd/nsd_testclient.o $(NSD_SIM_OBJ) $(NSDC_LIB)
	$(CC) -o $@ $^ $(NSDC_LIBS)

# Replays a journal through apply(): links the daemon objects.
$(NSD_TESTBIN)/nsd_replay: $(BUILD)/tests/nsd/nsd_replay.o $(filter-out $(BUILD)/nsd/server.o $(BUILD)/nsd/replica.o,$(NSD_DAEMON_OBJS)) $(NSDC_LIB)
	$(CC) -o $@ $^ $(NSD_LIBS)

TEST_DEPS += bin/nsd bin/graphenectl $(NSD_TESTBIN)/nsd_testclient $(NSD_TESTBIN)/nsd_replay

-include $(wildcard $(BUILD)/tests/nsd/*.d)

# The fuzz target is built from source with ASan/UBSan, separately from bin/nsd.
NSD_FUZZ_SRCS := tests/nsd/nsd_fuzz.c $(NSD_DAEMON_SRCS) nsd/client/nsdc.c nsd/client/nsdc_posix.c \
                 $(PROTO_GEN_C)
$(NSD_TESTBIN)/nsd_fuzz: $(NSD_FUZZ_SRCS) $(PROTO_GEN_H) $(wildcard nsd/*.h nsd/client/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(NSD_CFLAGS)) -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ $(NSD_FUZZ_SRCS) $(NSD_LIBS)

TEST_DEPS += $(NSD_TESTBIN)/nsd_fuzz

# nsd's reader of a sandbox's SysV memory against corrupt memories, also
# with ASan/UBSan.
NSD_SYSV_COUNT_SRCS := tests/nsd/nsd_sysv_count.c nsd/sysv.c nsd/journal.c nsd/util.c $(PROTO_GEN_C)
$(NSD_TESTBIN)/nsd_sysv_count: $(NSD_SYSV_COUNT_SRCS) $(PROTO_GEN_H) nsd/sysv.h libos/include/sysv_layout.h
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(NSD_CFLAGS)) -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ $(NSD_SYSV_COUNT_SRCS) $(NSD_LIBS)

TEST_DEPS += $(NSD_TESTBIN)/nsd_sysv_count

# The same target in libFuzzer's mode (clang; tests/nsd/06-fuzz.t builds it
# when clang can, `make fuzz` does not need it).
NSD_LIBFUZZER_BIN := $(BUILD)/fuzz/nsd_fuzz
$(NSD_LIBFUZZER_BIN): $(NSD_FUZZ_SRCS) $(PROTO_GEN_H) $(wildcard nsd/*.h nsd/client/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter-out -MMD -MP,$(NSD_CFLAGS)) -DNSD_LIBFUZZER -fsanitize=fuzzer,address,undefined \
	  -o $@ $(NSD_FUZZ_SRCS) $(NSD_LIBS)
.PHONY: nsd-fuzz
fuzz: nsd-fuzz
nsd-fuzz: $(NSD_TESTBIN)/nsd_fuzz
	d=$$(mktemp -d /tmp/nsd-fuzz.XXXXXX); seed=$$(od -An -N2 -tu2 /dev/urandom | tr -d " "); echo "nsd fuzz seed $$seed"; \
	$(NSD_TESTBIN)/nsd_fuzz $$d/journal.db 200000 $$seed 2>/dev/null; rc=$$?; rm -rf $$d; exit $$rc

$(BUILD)/tests/bench/nsd_bench.o: tests/bench/nsd_bench.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(NSD_CFLAGS) -Itests/nsd -c $< -o $@

$(BUILD)/tests/bench/nsd_bench: $(BUILD)/tests/bench/nsd_bench.o $(NSD_SIM_OBJ) $(NSDC_LIB)
	$(CC) -o $@ $^ $(NSDC_LIBS)

TEST_DEPS += $(BUILD)/tests/bench/nsd_bench
BENCH_SCRIPTS += tests/bench/nsd_bench.sh
-include $(wildcard $(BUILD)/tests/bench/nsd_bench.d)
