# The commands of the README. Each installs what is missing first.
#   make run     build (quietly) and run omsd on etc/omsd.conf (FIX 4.4 on 127.0.0.1:9878)
#   make demo    a short session of liboms against the simulated venue, printed
#   make test    the whole suite: Release, ASan+UBSan, TSan (threaded tests), coverage (>= 90%), fuzz
#   make bench   optimised build, every benchmark in bench/
#   make soak    1,000 kill -9 of omsd under FIX load (at most ~10 minutes), summary line
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 15
COVERAGE_MIN ?= 90
CMAKE_FLAGS ?=
CTEST = ctest --output-on-failure -j $(JOBS)

.PHONY: all deps build run run-venue demo soak test test-release test-asan test-tsan test-coverage test-fuzz bench fuzz \
        format format-check lint clean fixdict

all: build

deps:
	@scripts/install-deps.sh

build/release/CMakeCache.txt:
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps build/release/CMakeCache.txt
	cmake --build build/release -j $(JOBS)

# Quiet: the build's output goes to build/release/build.log (scripts/run.sh).
run: deps
	@JOBS=$(JOBS) CMAKE_FLAGS="$(CMAKE_FLAGS)" scripts/run.sh

# The simulated exchange as its own process (docs/omsvenue.md): FIX 4.4 on
# 127.0.0.1:9879, for omsd started with etc/omsd-fix-venue.conf.
run-venue: build
	build/release/bin/omsvenue --config etc/omsvenue.conf

demo: build
	build/release/bin/omsdemo

test: deps test-release test-asan test-tsan test-coverage test-fuzz
	@echo "make test: all suites passed"

# The long crash test (scripts/soak.sh): not part of make test. SOAK_KILLS,
# SOAK_SECONDS, SOAK_WINDOW_MS and SOAK_SEED vary it.
soak: build
	scripts/soak.sh build/release

test-release: build
	cd build/release && $(CTEST)

test-asan: deps
	cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DOMS_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build build/asan -j $(JOBS)
	cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(CTEST)

# ThreadSanitizer over the tests that start threads (CMake label "threaded").
test-tsan: deps
	cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=Debug -DOMS_TSAN=ON $(CMAKE_FLAGS)
	cmake --build build/tsan -j $(JOBS)
	cd build/tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(CTEST) -L threaded

test-coverage: deps
	cmake -S . -B build/coverage -DCMAKE_BUILD_TYPE=Debug -DOMS_COVERAGE=ON $(CMAKE_FLAGS)
	find build/coverage -name '*.gcda' -delete
	cmake --build build/coverage -j $(JOBS)
	cd build/coverage && $(CTEST)
	gcovr -r . --filter 'src/' build/coverage \
	  --print-summary --fail-under-line $(COVERAGE_MIN) \
	  --txt build/coverage/coverage.txt --xml build/coverage/coverage.xml
	@tail -n 3 build/coverage/coverage.txt

test-fuzz: deps
	CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DOMS_FUZZ=ON \
	  -DOMS_BUILD_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build build/fuzz -j $(JOBS)
	scripts/run-fuzz.sh build/fuzz/fuzz $(FUZZ_SECONDS)

fuzz: FUZZ_SECONDS = 300
fuzz: test-fuzz

bench: deps
	cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DOMS_BUILD_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build build/bench -j $(JOBS)
	scripts/run-bench.sh build/bench/bench

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

lint: build
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	  --inline-suppr --suppress=missingIncludeSystem -I include -I src src apps
	clang-tidy -p build/release --quiet $$(git ls-files 'src/*.c') 2>/dev/null

clean:
	rm -rf build

# Regenerates src/fix/dict_fix44.c, the FIX 4.4 data dictionary as C tables,
# from jspurefix's data/FIX44.xml (QuickFIX's format), fetched with npm. Run it
# when the generator changes; the output is committed, so a build needs
# neither npm nor the network. FIX44_XML=path uses a local copy.
FIX44_XML ?=
fixdict:
	@set -e; xml="$(FIX44_XML)"; \
	if [ -z "$$xml" ]; then \
	  dir=build/fixdict; mkdir -p $$dir; \
	  if [ ! -f $$dir/package/data/FIX44.xml ]; then \
	    (cd $$dir && npm pack jspurefix --silent >/dev/null && tar xzf jspurefix-*.tgz package/data/FIX44.xml); \
	  fi; \
	  xml=$$dir/package/data/FIX44.xml; \
	fi; \
	python3 tools/fixdict/gen_fix44.py $$xml src/fix/dict_fix44.c
