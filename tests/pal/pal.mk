# paldaemon's fuzz target (tests/pal/fuzz.t): its connection core
# (paldaemon/pal.c) in-process under ASan/UBSan.
PAL_FUZZ := $(BUILD)/tests/pal/pal_fuzz
PAL_FUZZ_SRCS := tests/pal/pal_fuzz.c paldaemon/pal.c libos/rpc_wire.c nsd/sealink.c nsd/util.c \
	$(PROTO_OUT)/rpc.pb-c.c

$(PAL_FUZZ): $(PAL_FUZZ_SRCS) paldaemon/pal.h nsd/sealink.h $(NSDC_LIB) | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(PAL_CFLAGS)) -fsanitize=address,undefined -fno-sanitize-recover=all \
		-o $@ $(PAL_FUZZ_SRCS) $(NSDC_LIB) $(PAL_LIBS)

TEST_DEPS += bin/paldaemon $(PAL_FUZZ)
