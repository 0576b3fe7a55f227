# Tests of the libos itself (beyond the differential suite).
$(BUILD)/tests/libos/sitecall: tests/libos/sitecall.c
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) $< -o $@

TEST_DEPS += $(BUILD)/tests/libos/sitecall
