# Jinguo. `make run` and `make test` are enough on a fresh Debian 12 machine: each installs what is missing first.
#
#   make deps    Debian packages, Kafka jars (Maven Central), Go tools — skipping what is there
#   make build   configure (once) and build everything into build/
#   make test    build, then run every test (unit and integration against a real Kafka broker) with ctest
#   make run     build, start Kafka and every service (deploy/local/services.txt), load demo data; Ctrl-C stops
#   make bench   benchmarks, with the ratios against Kafka's own performance tools
#   make fmt     clang-format the C++ sources
#   make lint    buf lint on protos/
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
GOBIN := $(shell go env GOPATH 2>/dev/null)/bin
export PATH := $(GOBIN):$(PATH)

.PHONY: deps deps-core deps-tools build test run bench fmt lint clean

deps:
	scripts/deps.sh all

deps-core:
	scripts/deps.sh core

deps-tools:
	scripts/deps.sh tools

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps-core $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	scripts/test.sh $(BUILD)

run: build
	scripts/run.sh $(BUILD)

bench: build deps-tools
	scripts/bench.sh $(BUILD)

fmt: deps-tools
	git ls-files '*.cc' '*.h' | xargs clang-format -i --style=file

lint: deps-tools
	buf lint

clean:
	rm -rf $(BUILD)
