# The RPC stream's host-side test tools: a hostile peer (tests/libos/rpc.t)
# and the decoder's fuzz target, both over the libos's own framing and
# decoder (libos/rpc_wire.c) compiled natively.
RPC_TESTBIN := $(BUILD)/tests/rpc
RPC_WIRE_SRCS := libos/rpc_wire.c $(PROTO_OUT)/rpc.pb-c.c
RPC_TEST_CFLAGS := $(filter-out -MMD -MP,$(HOSTCFLAGS)) -iquote libos/include -I$(PROTO_OUT) \
	$(shell pkg-config --cflags libprotobuf-c)

$(RPC_TESTBIN)/rpc_peer: tests/rpc/rpc_peer.c $(RPC_WIRE_SRCS) libos/include/rpc_wire.h | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(RPC_TEST_CFLAGS) -o $@ tests/rpc/rpc_peer.c $(RPC_WIRE_SRCS) \
		$(shell pkg-config --libs libprotobuf-c libsodium)

$(RPC_TESTBIN)/rpc_fuzz: tests/rpc/rpc_fuzz.c $(RPC_WIRE_SRCS) libos/include/rpc_wire.h | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(RPC_TEST_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
		-o $@ tests/rpc/rpc_fuzz.c $(RPC_WIRE_SRCS) $(shell pkg-config --libs libprotobuf-c)

TEST_DEPS += $(RPC_TESTBIN)/rpc_peer $(RPC_TESTBIN)/rpc_fuzz

# The same target in libFuzzer's mode (clang; tests/rpc/fuzz.t builds it
# when clang can).
RPC_LIBFUZZER_BIN := $(BUILD)/fuzz/rpc_fuzz
$(RPC_LIBFUZZER_BIN): tests/rpc/rpc_fuzz.c $(RPC_WIRE_SRCS) libos/include/rpc_wire.h | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(RPC_TEST_CFLAGS) -DRPC_LIBFUZZER -fsanitize=fuzzer,address,undefined \
		-o $@ tests/rpc/rpc_fuzz.c $(RPC_WIRE_SRCS) $(shell pkg-config --libs libprotobuf-c)
