# The launcher (bin/graphene): TOML parser, manifest validation, exec of the
# libos image. Test drivers live under build/tests/launcher/.

TOOLS_OBJS := $(BUILD)/tools/toml.o $(BUILD)/tools/manifest.o

all: bin/graphene

$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) -c $< -o $@

# The nsd side of the launcher uses the nsd client library (nsd/nsd.mk is
# included before this file).
$(BUILD)/tools/launch_nsd.o: tools/launch_nsd.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(NSD_CFLAGS) -c $< -o $@

# Static: every picoprocess start pays for the launcher's own start-up, and
# a static binary skips ld.so and the relocation of libc (about 0.35 ms here).
# It uses only the unix transport of libnsdc, so no resolver is linked in.
bin/graphene: $(BUILD)/tools/graphene.o $(BUILD)/tools/confine.o $(BUILD)/tools/memcg.o $(BUILD)/tools/launch_nsd.o $(TOOLS_OBJS) $(NSDC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) -static $^ -o $@ -lprotobuf-c -lsodium -lm

# Test drivers: a TOML dumper and a stand-in libos image that prints its blob.
LAUNCHER_TEST_BINS := $(BUILD)/tests/launcher/toml_dump $(BUILD)/tests/launcher/dump_blob
TEST_DEPS += bin/graphene $(LAUNCHER_TEST_BINS)

$(BUILD)/tests/launcher/toml_dump: tests/launcher/toml_dump.c $(BUILD)/tools/toml.o
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) $^ -o $@ -lm

# Static like the libos image: it is exec'd in the sandbox's own root (as
# root), where there is no ld.so.
$(BUILD)/tests/launcher/dump_blob: tests/launcher/dump_blob.c
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) -static $< -o $@

# libFuzzer target over the TOML parser and manifest validation. `make fuzz`
# runs it for FUZZ_SECONDS, seeded with the example manifests.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20
FUZZ_BIN := $(BUILD)/fuzz/fuzz_toml

$(FUZZ_BIN): tests/launcher/fuzz_toml.c tools/toml.c tools/manifest.c tools/toml.h tools/manifest.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	    tests/launcher/fuzz_toml.c tools/toml.c tools/manifest.c -o $@ -lm

fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus
	cp manifests/*.toml $(BUILD)/fuzz/corpus/
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus

-include $(BUILD)/tools/*.d $(BUILD)/tests/launcher/*.d
