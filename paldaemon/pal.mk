# paldaemon: the relay of RPC streams between hosts. Its core (pal.c) is
# shared with its fuzz target (tests/pal/pal_fuzz.c); the sealed link and
# the log are nsd's (nsd/sealink.c, nsd/util.c), the frames the RPC
# stream's own (libos/rpc_wire.c).

PAL_CFLAGS := $(HOSTCFLAGS) -I$(PROTO_OUT) -Ipaldaemon -Insd -Insd/client -iquote libos/include \
              $(shell pkg-config --cflags libevent libprotobuf-c libsodium)
PAL_LIBS   := $(shell pkg-config --libs libevent libprotobuf-c libsodium)
PAL_CORE_OBJS := $(BUILD)/paldaemon/pal.o $(BUILD)/paldaemon/rpc_wire.o $(BUILD)/nsd/sealink.o \
                 $(BUILD)/nsd/util.o $(PROTO_OUT)/rpc.pb-c.o

all: bin/paldaemon

$(BUILD)/paldaemon/%.o: paldaemon/%.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(PAL_CFLAGS) -c $< -o $@

$(BUILD)/paldaemon/rpc_wire.o: libos/rpc_wire.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(PAL_CFLAGS) -c $< -o $@

bin/paldaemon: $(BUILD)/paldaemon/main.o $(PAL_CORE_OBJS) $(NSDC_LIB)
	@mkdir -p bin
	$(CC) -o $@ $^ $(PAL_LIBS)

-include $(wildcard $(BUILD)/paldaemon/*.d)
