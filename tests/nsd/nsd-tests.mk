# nsd tests: simulated picoprocess clients (no libos needed) and the fuzz
# target. Included from nsd/nsd.mk.

NSD_SIM_OBJ := $(BUILD)/tests/nsd/sim.o
NSD_TESTBIN := $(BUILD)/tests/nsd

$(BUILD)/tests/nsd/%.o: tests/nsd/%.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(NSD_CFLAGS) -Itests/nsd -c $< -o $@

$(NSD_TESTBIN)/nsd_testclient: $(BUILD)/tests/nsd/nsd_testclient.o $(NSD_SIM_OBJ) $(NSDC_LIB)
	$(CC) -o $@ $^ $(NSDC_LIBS)

TEST_DEPS += bin/nsd bin/graphenectl $(NSD_TESTBIN)/nsd_testclient

-include $(wildcard $(BUILD)/tests/nsd/*.d)
