# Jinguo. `make run` and `make test` are enough on a fresh Debian 12 machine: each installs what is missing first.
#
#   make deps    Debian packages, Kafka jars (Maven Central), Go tools — skipping what is there
#   make build   configure (once) and build everything into build/
#   make test    build, then run every test (unit and integration against a real Kafka broker) with ctest
#   make run     build, start Kafka and every service (deploy/local/services.txt), load demo data; Ctrl-C stops
#   make bench   benchmarks, with the ratios against Kafka's own performance tools
#   make test-sanitize  the unit tests and the fuzz targets' seed corpora under ASan and UBSan (clang,
#                build-sanitize/), every error fatal
#   make fuzz    each libFuzzer target for FUZZ_SECONDS (default 600) from its seed corpus (tests/fuzz/)
#   make k8s-check  the Helm chart linted, rendered for each values file and validated offline (CI runs it)
#   make image   the container image (deploy/docker/Dockerfile) built with buildah into build/jinguo-image.tar (OCI
#                archive), then each binary started in it (deploy/docker/README.md)
#   make fmt     clang-format the C++ sources
#   make lint    buf lint on protos/, and clang-format and gofmt checks of the C++ and Go sources (no diff); CI
#                runs it
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
GOBIN := $(shell go env GOPATH 2>/dev/null)/bin
export PATH := $(GOBIN):$(PATH)

.PHONY: deps deps-core deps-tools deps-lint deps-k8s deps-sanitize build test test-sanitize fuzz run bench fmt lint k8s-check image clean

# The package check runs when scripts/deps.sh changes or the build tree is new, not on every build.
DEPS_STAMP := $(BUILD)/.deps-core-done

deps:
	scripts/deps.sh all

deps-core:
	scripts/deps.sh core

deps-tools:
	scripts/deps.sh tools

deps-lint:
	scripts/deps.sh lint

deps-sanitize:
	scripts/deps.sh sanitize

deps-k8s:
	scripts/deps.sh k8s

$(DEPS_STAMP): scripts/deps.sh web/package-lock.json
	scripts/deps.sh core
	mkdir -p $(BUILD) && touch $@

$(BUILD)/build.ninja: | $(DEPS_STAMP)
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(DEPS_STAMP) $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	scripts/test.sh $(BUILD)

# One clang tree for both: every object built with ASan, UBSan and libFuzzer's coverage instrumentation (-O1).
SANITIZE_BUILD ?= build-sanitize
FUZZ_SECONDS ?= 600

$(SANITIZE_BUILD)/build.ninja: | $(DEPS_STAMP)
	scripts/deps.sh sanitize
	CC=clang CXX=clang++ cmake -S . -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DJINGUO_SANITIZE=ON -DJINGUO_FUZZ=ON

test-sanitize: $(DEPS_STAMP) $(SANITIZE_BUILD)/build.ninja
	cmake --build $(SANITIZE_BUILD) -j $(JOBS) --target unit_tests fuzzers
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(SANITIZE_BUILD) -L 'unit|fuzz' --output-on-failure -j $(JOBS)

fuzz: $(DEPS_STAMP) $(SANITIZE_BUILD)/build.ninja
	cmake --build $(SANITIZE_BUILD) -j $(JOBS) --target fuzzers
	scripts/fuzz.sh $(SANITIZE_BUILD) $(FUZZ_SECONDS)

run: build
	scripts/run.sh $(BUILD)

bench: build deps-tools
	scripts/bench.sh $(BUILD)

fmt: deps-lint
	git ls-files '*.cc' '*.h' | xargs clang-format -i --style=file

lint: deps-lint
	buf lint
	git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror --style=file
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted" >&2; exit 1; fi

# The Helm chart rendered with each values file and validated offline (docs/operations.md).
k8s-check: deps-k8s
	scripts/k8s_check.sh $(BUILD)

# The container image, with a Debian base made from Debian's packages (scripts/image.sh installs buildah and mmdebstrap).
image:
	scripts/image.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)
