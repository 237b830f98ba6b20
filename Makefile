# Thin wrapper over scripts/ and CMake. `make run` and `make test` are all a newcomer needs.
.PHONY: setup build run test bench bench-cost fuzz test-unit test-integration test-e2e test-resilience \
        test-thread-safety \
        test-deploy test-containers test-k8s k8s k8s-down format clean

JOBS ?= $(shell nproc)
# Every service that has a CMakeLists.txt.
SERVICES := $(notdir $(patsubst %/CMakeLists.txt,%,$(wildcard services/*/CMakeLists.txt)))

setup:
	scripts/setup

build:
	@scripts/setup --check >/dev/null || scripts/setup
	cmake --preset default
	cmake --build build -j $(JOBS)

# Builds the services only (not the tests), then runs the whole shop on :8080.
run:
	@scripts/setup --check >/dev/null || scripts/setup
	cmake --preset default
	cmake --build build -j $(JOBS) --target $(SERVICES)
	scripts/run-local

# The whole test suite, as CI runs it.
test:
	scripts/test

# One target per ctest label. The resilience tests measure latencies: one at a time.
test-unit test-integration test-e2e: build
	ctest --test-dir build -L $(subst test-,,$@) --output-on-failure -j $(JOBS)

test-resilience: build
	ctest --test-dir build -L resilience --output-on-failure -j 1

# Clang's thread-safety analysis (-Wthread-safety as errors) over libs/ and services/
# (scripts/check-thread-safety; clang++ from scripts/setup --test).
test-thread-safety: build
	scripts/long-functions
	scripts/check-thread-safety

# Helm chart and kustomize overlays, checked offline (no cluster): tests/deploy/run.
test-deploy:
	tests/deploy/run

# Every image built (packaging the binaries of build/), the shop run with compose and tested
# end to end, one backend stopped and brought back (tests/containers/run). Uses Docker if it
# answers, else sets up podman (scripts/container-env). Gateway on 127.0.0.1:18080.
test-containers:
	@scripts/setup --check >/dev/null || scripts/setup
	cmake --preset default
	cmake --build build -j $(JOBS) --target $(SERVICES) mercato_healthcheck
	tests/containers/run

# The shop on a real one-node Kubernetes built here (scripts/k8s-local; root): the kustomize dev
# overlay and the Helm chart installed, rolling restarts under load, pod kills, autoscaling,
# disruption budgets (tests/k8s/run). Builds Kubernetes once (~10 min, cached).
test-k8s: build
	tests/k8s/run

# The local cluster with the shop installed by Helm, on http://127.0.0.1:30080 until `make k8s-down`.
k8s:
	@scripts/setup --check-test >/dev/null || scripts/setup --test
	cmake --preset default
	cmake --build build -j $(JOBS) --target $(SERVICES) mercato_healthcheck
	scripts/k8s-shop up

k8s-down:
	scripts/k8s-shop down

bench:
	bench/run

# Instructions per request of each process on each path, under valgrind's callgrind: a figure
# that does not vary with the machine's load (bench/cost; a few minutes).
bench-cost:
	bench/cost

# libFuzzer targets built with clang++ into build-fuzz/, each fuzzed for FUZZ_SECONDS (default
# 60); inputs that add coverage are merged into tests/fuzz/corpus/ (tests/fuzz/run).
fuzz:
	@scripts/setup --check-test >/dev/null || scripts/setup --test
	tests/fuzz/run

format:
	find libs services tests -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build
