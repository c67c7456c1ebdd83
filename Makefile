# The two commands a user needs: `make demo` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: all deps build demo test clean

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
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300

clean:
	rm -rf $(BUILD_DIR)
