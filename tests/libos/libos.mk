# Tests of the libos itself (beyond the differential suite): small host
# programs, one per tests/libos/*.c.
LIBOS_TEST_BINS := $(patsubst tests/libos/%.c,$(BUILD)/tests/libos/%,$(wildcard tests/libos/*.c))

$(BUILD)/tests/libos/%: tests/libos/%.c
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) $< -o $@

TEST_DEPS += $(LIBOS_TEST_BINS)
