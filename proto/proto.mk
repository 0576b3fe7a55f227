# Protocol definitions: the .proto files are compiled with protoc-c at build
# time into $(BUILD)/proto (generated code is never committed). Consumers add
# -I$(PROTO_OUT) and link $(PROTO_OBJS); the generated code needs only the
# protobuf-c runtime, so the freestanding libos can compile the same sources.

PROTO_SRCS := $(wildcard proto/*.proto)
PROTO_OUT  := $(BUILD)/proto
PROTO_GEN_C := $(patsubst proto/%.proto,$(PROTO_OUT)/%.pb-c.c,$(PROTO_SRCS))
PROTO_GEN_H := $(PROTO_GEN_C:.c=.h)
PROTO_OBJS := $(PROTO_GEN_C:.c=.o)

$(PROTO_OUT)/%.pb-c.c $(PROTO_OUT)/%.pb-c.h: proto/%.proto
	@mkdir -p $(PROTO_OUT)
	protoc-c --c_out=$(PROTO_OUT) -Iproto $<

$(PROTO_OUT)/%.pb-c.o: $(PROTO_OUT)/%.pb-c.c $(PROTO_OUT)/%.pb-c.h
	$(CC) $(HOSTCFLAGS) $(shell pkg-config --cflags libprotobuf-c) -c $< -o $@
