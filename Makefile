# Thin wrapper over Meson so that `make`, `make check` and `make install`
# do what they say. BUILD selects the build directory.
BUILD ?= build
MESON_OPTS ?=
PYTEST ?= /usr/bin/python3 -m pytest
PYTEST_OPTS ?= -q

.PHONY: all check unit integration install clean format format-check asan bench bench-api bench-exec bench-logs

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

unit: all
	meson test -C $(BUILD) --print-errorlogs

integration: all
	BERTH_BUILD=$(abspath $(BUILD)) $(PYTEST) $(PYTEST_OPTS) tests/integration

check: unit integration

install: all
	meson install -C $(BUILD)

# AddressSanitizer + UndefinedBehaviorSanitizer build and test run. Every
# process writes its reports to SANLOG (the monitor and berthd have no
# terminal to write them to); any report fails the run.
SANLOG = $(abspath build-asan)/sanitizer-logs
asan:
	rm -rf $(SANLOG) && mkdir -p $(SANLOG)
	ASAN_OPTIONS="$${ASAN_OPTIONS:+$$ASAN_OPTIONS:}log_path=$(SANLOG)/asan" \
	UBSAN_OPTIONS="$${UBSAN_OPTIONS:+$$UBSAN_OPTIONS:}log_path=$(SANLOG)/ubsan" \
	    $(MAKE) check BUILD=build-asan MESON_OPTS="-Db_sanitize=address,undefined -Db_lundef=false"; \
	rc=$$?; \
	if [ -n "$$(ls -A $(SANLOG))" ]; then \
	    cat $(SANLOG)/*; echo "sanitizer reports above (in $(SANLOG))"; exit 1; \
	fi; \
	exit $$rc

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

bench: all
	BERTH_BUILD=$(abspath $(BUILD)) /usr/bin/python3 bench/run_latency.py

# berthd through docker-py, against the floor and (if Debian's docker.io is
# installed) a scratch dockerd in its own network and mount namespaces.
bench-api: all
	BERTH_BUILD=$(abspath $(BUILD)) /usr/bin/python3 bench/api_bench.py --dockerd

# exec latency through berthd and the CLI against `crun exec` in the same container.
bench-exec: all
	BERTH_BUILD=$(abspath $(BUILD)) /usr/bin/python3 bench/exec_bench.py

# Log throughput: 200 MB written by a container, then read back through the
# API with curl; against a scratch dockerd too when one can be started.
bench-logs: all
	BERTH_BUILD=$(abspath $(BUILD)) /usr/bin/python3 bench/logs_bench.py --dockerd

clean:
	rm -rf build build-asan

# libFuzzer targets (tests/fuzz), built with clang and the sanitizers, each
# run for 30 s on its corpus. Only the fuzz targets are built here.
.PHONY: fuzz
fuzz:
	[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true -Db_lundef=false
	tests/fuzz/run.sh build-fuzz 30
