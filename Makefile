# The two commands a user needs: `make demo` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
HOST ?= 127.0.0.1
# `make demo TLS=1` serves HTTPS with a development certificate, on 8443 unless PORT is given.
TLS ?=
ifeq ($(TLS)$(origin PORT),1undefined)
PORT := 8443
endif
PORT ?= 8080
DEV_CERTS = $(BUILD_DIR)/dev-certs

.PHONY: all deps build demo test test-asan test-tsan fuzz bench bench-all pgo bench-pgo docs format format-check clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# TLS=1: a local CA and a certificate for 127.0.0.1, ::1 and localhost in $(DEV_CERTS)
# (made once, kept while valid; scripts/make-dev-certs.sh).
demo: build
ifeq ($(TLS),1)
	@scripts/make-dev-certs.sh $(DEV_CERTS) >/dev/null
	@echo "dev CA: $(DEV_CERTS)/ca.pem - trust it with curl --cacert $(DEV_CERTS)/ca.pem https://$(HOST):$(PORT)/hello, or import it as an authority in your browser (README: HTTPS)"
	$(BUILD_DIR)/bin/demo_server --host=$(HOST) --port=$(PORT) \
	  --tls-cert=$(DEV_CERTS)/server.pem --tls-key=$(DEV_CERTS)/server.key
else
	$(BUILD_DIR)/bin/demo_server --host=$(HOST) --port=$(PORT)
endif

# Every test: the format and the API reference first (both fail on drift), the Catch2 suite
# and the browser suite, then all of it again under ASan+UBSan.
test: format-check docs build
	@scripts/install-deps.sh wrk
	@scripts/install-browser-deps.sh
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300
	$(MAKE) test-asan

# The API reference, from the public headers (include/fastactor/) into $(BUILD_DIR)/docs/html/
# (open index.html). Fails on an undocumented public name or a broken doc comment.
docs:
	@scripts/install-deps.sh doxygen
	mkdir -p $(BUILD_DIR)/docs
	FASTACTOR_DOCS_OUT=$(BUILD_DIR)/docs doxygen docs/api/Doxyfile
	@echo "API reference: $(BUILD_DIR)/docs/html/index.html"

# The C++ style (.clang-format, Debian's clang-format 14): `format` applies it to every
# tracked C++ file, `format-check` fails if one differs.
CXX_SOURCES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null)
format:
	@scripts/install-deps.sh clang-format
	@clang-format -i $(CXX_SOURCES) && echo "formatted $(words $(CXX_SOURCES)) files"

format-check:
	@scripts/install-deps.sh clang-format
	@clang-format --dry-run --Werror $(CXX_SOURCES) && echo "format: $(words $(CXX_SOURCES)) files as .clang-format wants them"

# Benchmarks, side by side (see docs/benchmarks.md). bench: plain HTTP against the leanest
# Beast server and nginx (and a typical Beast app), ~8½ min on a quiet machine; bench-all:
# those, HTTPS, HTTP/2 and compression against nginx, remote workers, and how cost grows with
# connections and streams, charted with gnuplot (~19½ min). BENCH_ONLY picks groups or single benchmarks
# (bench/run.sh lists them).
BENCH_DEPS = wrk util-linux nginx-light python3 python3-h2 iproute2 procps gnuplot-nox
bench: build
	@scripts/install-deps.sh $(BENCH_DEPS)
	bench/run.sh $(BUILD_DIR)

bench-all: build
	@scripts/install-deps.sh $(BENCH_DEPS)
	BENCH_ONLY=all bench/run.sh $(BUILD_DIR)

# A build trained on the load it serves (GCC's profile-guided optimization) into
# $(PGO_DIR)/bin: the servers are built to count, run under wrk for ~50 s, and rebuilt with
# the counts (scripts/pgo-build.sh; ~10 % less CPU per /hello, docs/benchmarks.md). The Beast
# baselines are trained on the same load, so bench-pgo compares like with like. bench-pgo
# trains and builds again first (~7 min).
PGO_DIR ?= build-pgo
pgo: deps
	@scripts/install-deps.sh wrk curl
	scripts/pgo-build.sh $(PGO_DIR) $(JOBS)

bench-pgo: pgo
	@scripts/install-deps.sh $(BENCH_DEPS)
	bench/run.sh $(PGO_DIR)

# The whole suite under AddressSanitizer + UBSan (+ LeakSanitizer), built with clang 14.
test-asan:
	@scripts/install-deps.sh clang libclang-rt-14-dev wrk
	@scripts/install-browser-deps.sh
	CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
	  -DFASTACTOR_SANITIZE=address,undefined -DFASTACTOR_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp \
	  ctest --output-on-failure --timeout 300

# ThreadSanitizer over the shared state outside actors (Asio side, counters, blocking pool).
# CAF frames are suppressed (scripts/tsan.supp says why); timing tests and the subprocess
# tests are left out (TSan slows everything down 5-15x), and so are the option tests: in a
# TSan build CAF's CLI parser crashes on string and bool options (see docs/robustness.md).
test-tsan:
	@scripts/install-deps.sh clang libclang-rt-14-dev wrk
	CC=clang CXX=clang++ cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DFASTACTOR_SANITIZE=thread -DFASTACTOR_BENCH=OFF
	cmake --build build-tsan -j $(JOBS) --target fastactor_tests demo_server
	cd build-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/scripts/tsan.supp halt_on_error=1 second_deadlock_stack=1" \
	  ./bin/fastactor_tests "~[timing]~[process]~[soak]~[options]"

# libFuzzer (ASan + UBSan), each target for FUZZ_SECONDS:
#  - request_fuzzer: request parsing and routing, from fuzz/seeds (new finds are kept in
#    build-fuzz/corpus, crashes in build-fuzz/crash-*);
#  - writer_fuzzer: random message sequences against one response writer, from
#    fuzz/writer_seeds (build-fuzz/writer_corpus, crashes in build-fuzz/writer-crash-*; run
#    one with WRITER_FUZZ_TRACE=1 to see its operations). -detect_leaks=0: actors free memory
#    on other threads after an input returns, so libFuzzer's per-input leak check would rerun
#    every input (4x slower); LeakSanitizer still checks the whole run at exit.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh clang libclang-rt-14-dev
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DFASTACTOR_SANITIZE=address,undefined -DFASTACTOR_FUZZ=ON -DFASTACTOR_TESTS=OFF \
	  -DFASTACTOR_BENCH=OFF
	cmake --build build-fuzz -j $(JOBS) --target request_fuzzer writer_fuzzer
	mkdir -p build-fuzz/corpus build-fuzz/writer_corpus
	cd build-fuzz && ./bin/request_fuzzer -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	  -artifact_prefix=./ corpus ../fuzz/seeds
	cd build-fuzz && ./bin/writer_fuzzer -max_total_time=$(FUZZ_SECONDS) -timeout=30 \
	  -max_len=1024 -detect_leaks=0 -artifact_prefix=./writer- writer_corpus ../fuzz/writer_seeds

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz $(PGO_DIR)
