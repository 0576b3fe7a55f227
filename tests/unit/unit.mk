# Unit tests of libos logic that needs no host: the sources are compiled
# natively (with glibc) next to a small driver; tests/unit/*.t run it.
UNIT_BIN := $(BUILD)/tests/unit

$(UNIT_BIN)/pathtool: tests/unit/pathtool.c libos/fs/path.c libos/include/path.h
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) -Ilibos/include tests/unit/pathtool.c libos/fs/path.c -o $@

TEST_DEPS += $(UNIT_BIN)/pathtool

$(UNIT_BIN)/mactool: tests/unit/mactool.c libos/rt/sha512.c libos/include/sha512.h
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) -Ilibos/include tests/unit/mactool.c libos/rt/sha512.c -o $@ \
		$(shell pkg-config --cflags --libs libsodium)

TEST_DEPS += $(UNIT_BIN)/mactool

# The libos's vsnprintf under other names, beside glibc's in one driver.
$(UNIT_BIN)/fmt.o: libos/rt/fmt.c libos/include/rt.h
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) -Ilibos/include -Dvsnprintf=libos_vsnprintf -Dsnprintf=libos_snprintf -c $< -o $@

$(UNIT_BIN)/fmttool: tests/unit/fmttool.c $(UNIT_BIN)/fmt.o
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) -Wno-format-nonliteral -Wno-format-security tests/unit/fmttool.c $(UNIT_BIN)/fmt.o -o $@

TEST_DEPS += $(UNIT_BIN)/fmttool
