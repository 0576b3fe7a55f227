# Test and benchmark wiring. Every test is a TAP-emitting executable script
# named tests/<suite>/*.t; `make test` hands them all to prove(1), which prints
# the summary. Component fragments append build prerequisites of their tests
# to TEST_DEPS and benchmark scripts (tests/bench/*.sh style) to BENCH_SCRIPTS.

TEST_SCRIPTS = $(sort $(wildcard tests/*/*.t))

test: deps all $(TEST_DEPS)
	prove -f $(TEST_SCRIPTS)

bench: all $(TEST_DEPS)
	@for b in $(BENCH_SCRIPTS); do bash $$b || exit 1; done
