# nsd: the namespace leader daemon, its client library and graphenectl.

NSD_PKGS   := libevent libprotobuf-c libsodium sqlite3 libuv raft
NSD_CFLAGS := $(HOSTCFLAGS) -I$(PROTO_OUT) -Insd -Insd/client \
              $(shell pkg-config --cflags $(NSD_PKGS))
NSD_LIBS   := $(shell pkg-config --libs $(NSD_PKGS))
NSDC_LIBS  := $(shell pkg-config --libs libprotobuf-c libsodium)
# bin/nsd links its libraries statically (glibc stays shared, for the
# resolver of --peers addresses): `graphene run` starts it when no nsd
# answers, and ld.so loading nine shared libraries was ~1 ms of its CPU.
NSD_BIN_LIBS := -Wl,-Bstatic -levent -lprotobuf-c -lsodium -lsqlite3 -lraft -luv_a -llz4 -Wl,-Bdynamic -lm

# Client library: freestanding protocol core + glibc adapter + generated code.
NSDC_CORE_OBJ := $(BUILD)/nsd/client/nsdc.o
NSDC_OBJS  := $(NSDC_CORE_OBJ) $(BUILD)/nsd/client/nsdc_posix.o $(BUILD)/nsd/client/nsdc_tcp.o
NSDC_LIB   := $(BUILD)/nsd/libnsdc.a

NSD_DAEMON_SRCS := $(filter-out nsd/main.c,$(wildcard nsd/*.c))
NSD_DAEMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(NSD_DAEMON_SRCS))

all: bin/nsd

# Every object may include the generated header.
$(BUILD)/nsd/%.o: nsd/%.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(NSD_CFLAGS) -c $< -o $@

# The core must stay freestanding: the libos links it without glibc.
$(NSDC_CORE_OBJ): nsd/client/nsdc.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(NSD_CFLAGS) -ffreestanding -fno-stack-protector -c $< -o $@

$(NSDC_LIB): $(NSDC_OBJS) $(PROTO_OBJS)
	rm -f $@
	ar rcs $@ $^

bin/nsd: $(BUILD)/nsd/main.o $(NSD_DAEMON_OBJS) $(NSDC_LIB)
	@mkdir -p bin
	$(CC) -o $@ $^ $(NSD_BIN_LIBS)

include tools/graphenectl.mk
include tests/nsd/nsd-tests.mk

-include $(wildcard $(BUILD)/nsd/*.d $(BUILD)/nsd/client/*.d)
