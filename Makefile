# The two commands a user needs: `make demo` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: all deps build demo test test-asan bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	$(BUILD_DIR)/bin/demo_server --host=$(HOST) --port=$(PORT)

test: build
	@scripts/install-browser-deps.sh
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300

# Benchmarks against a raw Beast server, side by side (see docs/benchmarks.md).
bench: build
	@scripts/install-deps.sh wrk util-linux
	bench/run.sh $(BUILD_DIR)

# The whole suite under AddressSanitizer + UBSan (+ LeakSanitizer), built with clang 14.
test-asan:
	@scripts/install-deps.sh clang libclang-rt-14-dev
	CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
	  -DFASTACTOR_SANITIZE=address,undefined
	cmake --build build-asan -j $(JOBS)
	cd build-asan && UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure --timeout 300

clean:
	rm -rf $(BUILD_DIR) build-asan
