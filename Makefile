# streamgen's tasks. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Nested modules: a team's service repository (01-uppercase) and the
# benchmark (it needs Goka, which the library must not depend on).
NESTED := examples/01-uppercase examples/bench

.PHONY: help
help: ## Lists the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

.PHONY: deps
deps: ## Installs what the tests need when missing (kcat, protoc, gcc, chromium; apt-get)
	.ci/deps

.PHONY: demo
demo: deps ## Runs the seed example on the embedded broker: sends lines, prints them uppercased
	cd examples/01-uppercase && go run . demo "hello streamgen" "schema-first streams" "faust, but in go"

.PHONY: test
test: deps ## Runs every test: unit, golden, end-to-end on the broker (with -race)
	go vet ./...
	@unformatted="$$(gofmt -l .)"; test -z "$$unformatted" || { echo "$$unformatted"; echo "gofmt: the files above need formatting"; exit 1; }
	go test -race -count=1 -timeout 15m ./...
	for d in $(NESTED); do (cd $$d && go vet ./... && go test -race -count=1 ./...); done

.PHONY: generate
generate: ## Regenerates gen/, the test app, the examples' generated code, and the golden files (code, topology pictures)
	go run ./cmd/streamgen/internal/bootstrap
	go generate ./...
	for d in $(NESTED); do (cd $$d && go generate ./...); done
	go test ./runtime/topology/ -update
	go test ./cmd/streamgen/ -run 'Golden|Topology' -update

.PHONY: checkgenerate
checkgenerate: generate ## Fails if generated code is stale
	@test -z "$$(git status --porcelain)" || { git status --porcelain; echo "stale generated files: run make generate and commit"; exit 1; }

.PHONY: lint
lint: ## go vet, gofmt, and buf lint when buf is installed
	go vet ./...
	@test -z "$$(gofmt -l .)"
	@if command -v buf >/dev/null; then buf lint; else echo "buf not installed; skipping buf lint"; fi

.PHONY: bench
bench: ## Measures streamgen against a hand-written loop and Goka, then its latency (results: BENCHMARKS.md)
	cd examples/bench && go run . -records $${RECORDS:-1000000} -contenders handwritten,franz-go,goka,streamgen,streamgen-observed,streamgen-batch,goka-count,streamgen-count,streamgen-count-eos,kstream-count,streamgen-window-count,streamgen-session-count,streamgen-join,streamgen-stream-join
	$(MAKE) --no-print-directory bench-latency
	$(MAKE) --no-print-directory bench-latency-count

.PHONY: bench-latency
bench-latency: ## Measures end-to-end latency of the uppercase worker at fixed rates against the probe's floor (results: BENCHMARKS.md)
	cd examples/bench && go run . latency -rates 1000,5000,50000,150000 -peak-records $${RECORDS:-1000000} -repeat $${REPEAT:-3}

.PHONY: bench-latency-count
bench-latency-count: ## Measures end-to-end latency of the counting agent (at least once, exactly once) and the stateless one exactly once, at 1,000/s and half of peak (results: BENCHMARKS.md)
	cd examples/bench && go run . latency -agent count -rates 1000 -peak-records $${RECORDS:-1000000} -repeat $${REPEAT:-3}
	cd examples/bench && go run . latency -agent count-eos -rates 1000 -peak-records $${RECORDS:-1000000} -repeat $${REPEAT:-3}
	cd examples/bench && go run . latency -agent uppercase-eos -rates 1000 -peak-records $${RECORDS:-1000000} -repeat $${REPEAT:-3}

FUZZTIME ?= 60s
# target:package, each run by `make fuzz` in turn
FUZZ_TARGETS := \
	FuzzDecodeProto:./runtime/ FuzzDecodeJSON:./runtime/ FuzzDecodeRaw:./runtime/ \
	FuzzTableValue:./runtime/ FuzzDriverGlobalTableValue:./runtime/ \
	FuzzWindowKey:./runtime/internal/windows/ FuzzSplitKeys:./runtime/internal/windows/ \
	FuzzReservedKeysDisjoint:./runtime/internal/windows/ \
	FuzzStores:./runtime/state/ FuzzMetaNames:./runtime/state/ \
	FuzzSchema:./cmd/streamgen/

.PHONY: fuzz
fuzz: ## Runs every fuzz target for FUZZTIME (default 60s), one at a time; failures land in testdata/fuzz/ (RELIABILITY.md)
	for t in $(FUZZ_TARGETS); do \
		name=$${t%%:*}; pkg=$${t#*:}; \
		echo "== $$name ($$pkg)"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 20x -parallel 1 "$$pkg"; \
	done

.PHONY: chaos
chaos: ## Crash harness, full size: 1,000,000 deposits, a SIGKILL every 3 s (results: RELIABILITY.md)
	go run ./examples/05-accounts/chaos -events $${EVENTS:-1000000} -rate $${RATE:-10000} -kill-every $${KILL_EVERY:-3s}
