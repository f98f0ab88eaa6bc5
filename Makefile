# cherga: the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
# The commit's date first: the README and the log name releases by date
# («the releases of 2026-12-01 and 02»), which a bare hash does not tell.
VERSION ?= $(shell v=$$(git describe --tags --always --dirty 2>/dev/null) && echo "$$(git log -1 --format=%cs)-$$v" || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
export CGO_ENABLED = 0
SHELL   := /bin/bash

CMDS    := cherga cherga-sim chergactl cherga-announcer
# The packages that read what comes from outside and keep the queue run
# again as armv6 (a Pi 1 or Zero), where an int is 32 bits, on the Pi
# Zero's CPU (qemu-arm's default one would take ARMv7 instructions too).
ARM32   := ./printer ./audio ./device/... ./display ./queue/... ./internal/config ./firmware-config/...
# The packages whose state is shared between goroutines run under -race.
RACE    := ./queue/... ./internal/... ./device/... ./printer/... ./sim/... ./display/... ./audio/... ./cmd/cherga-announcer/

# A hung test fails its package after 8 minutes, printing every goroutine,
# inside CI's budget (go test's default is 10). The slowest package,
# internal/office under -race, takes about 4 minutes on a 2-core VM, most
# of it waiting (outages, slow links, printers switched off): a new test
# that waits counts against that margin.
TESTFLAGS ?= -count=1 -timeout 8m

.PHONY: run test bench build cross lint clean voice

## run: the whole simulated office (embedded broker, virtual hardware, web page)
run: build
	./bin/cherga-sim

## test: every test; the core packages under the race detector, and as a 32-bit Pi runs them
test: lint
	$(GO) test $(TESTFLAGS) ./...
	CGO_ENABLED=1 $(GO) test $(TESTFLAGS) -race $(RACE)
	@if command -v qemu-arm >/dev/null 2>&1; then \
	  echo "32-bit ARM (armv6 under qemu-arm): $(ARM32)"; \
	  GOARCH=arm GOARM=6 $(GO) test $(TESTFLAGS) -short -exec 'qemu-arm -cpu arm1176' $(ARM32); \
	else \
	  echo "32-bit ARM tests skipped: no qemu-arm (apt-get install qemu-user)"; \
	fi

## bench: the benchmarks; their headline figures (`name: value unit`) again at the end
# One package at a time (-p 1): go test runs as many as there are cores at
# once, and a benchmark timed beside another package's measures the other.
bench:
	@mkdir -p bin
	@set -o pipefail; $(GO) test -p 1 -run '^$$' -bench . -benchmem ./... 2>&1 | tee bin/bench.out; status=$$?; \
	  echo; echo "== headline figures =="; \
	  grep -hE '^[a-z0-9_]+: ' bin/bench.out | grep -vE '^(go|goos|goarch|pkg|cpu): ' || echo "(none)"; \
	  exit $$status

## build: the binaries for this machine in bin/
build:
	@mkdir -p bin
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ $(addprefix ./cmd/,$(wildcard-cmds))

## cross: static binaries for the Raspberry Pi in dist/, and their dist/SHA256SUMS
cross:
	@mkdir -p dist
	for c in $(wildcard-cmds); do \
	  GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/$$c-linux-arm64 ./cmd/$$c && \
	  GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/$$c-linux-armv7 ./cmd/$$c && \
	  GOOS=linux GOARCH=arm GOARM=6 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/$$c-linux-armv6 ./cmd/$$c || exit 1; \
	done
	cd dist && sha256sum *-linux-* > SHA256SUMS

## lint: go vet and a gofmt check
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## voice: regenerate the default voice pack (audio/voice/pack) with espeak-ng and sox
voice:
	scripts/voice.sh

clean:
	rm -rf bin dist

# The commands that exist so far.
wildcard-cmds = $(notdir $(patsubst %/,%,$(dir $(wildcard cmd/*/main.go))))
