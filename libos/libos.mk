# The libos: a freestanding static-pie ELF (lib/libos) with no C library.
# It sees only the compiler's freestanding headers and the kernel's UAPI
# headers (linux/, asm/, asm-generic/), never glibc's.

LIBOS_SYSINC := $(BUILD)/libos/sysinc
LIBOS_CFLAGS := -std=gnu11 $(WARN) -O2 -g -ffreestanding -nostdinc -fno-builtin-malloc \
	-isystem $(shell $(CC) -print-file-name=include) -isystem $(LIBOS_SYSINC) \
	-isystem libos/include/compat -Ilibos/include -Ilibos -I$(PROTO_OUT) -Insd/client -fPIE -fvisibility=hidden -fno-stack-protector -fno-plt \
	-mgeneral-regs-only -fno-omit-frame-pointer -MMD -MP
LIBOS_LDFLAGS := -nostdlib -static-pie -Wl,-z,noexecstack -Wl,--no-dynamic-linker \
	-Wl,-z,max-page-size=4096 -Wl,-e,_start

LIBOS_SRCS := $(sort $(wildcard libos/*.c libos/*/*.c libos/*/*.S))
LIBOS_OBJS := $(patsubst libos/%,$(BUILD)/libos/%.o,$(LIBOS_SRCS))
# The nsd client core and the generated protocol code, compiled freestanding
# like the rest of the libos, and the protobuf-c runtime (Debian's static
# archive: it needs only what libos/rt provides).
LIBOS_NSDC_OBJS := $(BUILD)/libos/nsdc/nsdc.o $(BUILD)/libos/nsdc/nsd.pb-c.o $(BUILD)/libos/nsdc/rpc.pb-c.o
LIBOS_PROTOBUF_A := $(shell pkg-config --variable=libdir libprotobuf-c)/libprotobuf-c.a

all: lib/libos

$(LIBOS_SYSINC)/.stamp:
	@mkdir -p $(LIBOS_SYSINC)
	ln -sfn /usr/include/linux $(LIBOS_SYSINC)/linux
	ln -sfn /usr/include/asm-generic $(LIBOS_SYSINC)/asm-generic
	ln -sfn /usr/include/x86_64-linux-gnu/asm $(LIBOS_SYSINC)/asm
	ln -sfn /usr/include/protobuf-c $(LIBOS_SYSINC)/protobuf-c
	@touch $@

$(BUILD)/libos/%.c.o: libos/%.c $(LIBOS_SYSINC)/.stamp | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(LIBOS_CFLAGS) -c $< -o $@

$(BUILD)/libos/nsdc/nsdc.o: nsd/client/nsdc.c $(LIBOS_SYSINC)/.stamp | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(LIBOS_CFLAGS) -c $< -o $@

$(BUILD)/libos/nsdc/%.pb-c.o: $(PROTO_OUT)/%.pb-c.c $(LIBOS_SYSINC)/.stamp | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(LIBOS_CFLAGS) -c $< -o $@

$(BUILD)/libos/%.S.o: libos/%.S
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

lib/libos: $(LIBOS_OBJS) $(LIBOS_NSDC_OBJS) $(LIBOS_PROTOBUF_A)
	@mkdir -p lib
	$(CC) $(LIBOS_LDFLAGS) $^ -lgcc -o $@

-include $(LIBOS_OBJS:.o=.d) $(LIBOS_NSDC_OBJS:.o=.d)

# Syscall names for log lines, from the kernel's own list.
$(BUILD)/libos/syscall_names.inc: /usr/include/x86_64-linux-gnu/asm/unistd_64.h
	@mkdir -p $(dir $@)
	sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' $< > $@

$(BUILD)/libos/syscall_table.c.o: $(BUILD)/libos/syscall_names.inc
$(BUILD)/libos/syscall_table.c.o: LIBOS_CFLAGS += -I$(BUILD)/libos
