# graphenectl: inspects nsd (ps, ns show, sandbox ls, nsd status).
# Included from nsd/nsd.mk (tools/tools.mk belongs to the launcher).

all: bin/graphenectl

$(BUILD)/tools/graphenectl.o: tools/graphenectl.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(NSD_CFLAGS) -c $< -o $@

bin/graphenectl: $(BUILD)/tools/graphenectl.o $(NSDC_LIB)
	@mkdir -p bin
	$(CC) -o $@ $^ $(NSDC_LIBS)

-include $(BUILD)/tools/graphenectl.d
