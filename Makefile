# Tracer: `make` builds everything, `make run` runs the main job, `make test` runs every test.
# Each target installs what is missing first (scripts/install-deps.sh is idempotent).

CLANG ?= clang-19
BPFTOOL ?= bpftool
DOTNET ?= dotnet
CONFIGURATION ?= Release
BUILD := build
BPF_OUT := $(BUILD)/bpf
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_SOURCES := $(wildcard bpf/*.bpf.c)
BPF_OBJECTS := $(patsubst bpf/%.bpf.c,$(BPF_OUT)/%.bpf.o,$(BPF_SOURCES))
BPF_HEADERS := $(wildcard bpf/include/*.h bpf/*.h)
TRACER := src/Tracer.Cli/bin/$(CONFIGURATION)/net10.0/tracer
RUN_ARGS ?=
# make install: PREFIX for the binary, docs and man page; UNITDIR for the systemd unit; DESTDIR to stage
PREFIX ?= /usr/local
UNITDIR ?= /etc/systemd/system
DESTDIR ?=
AOT := $(BUILD)/aot/tracer
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)

.PHONY: all deps bpf report-assets build run test test-unit test-integration bindings clean

all: build

deps:
	@[ -n "$(SKIP_DEPS)" ] || scripts/install-deps.sh

# vmlinux.h comes from the running kernel's BTF; CO-RE relocates field offsets at load time,
# so the objects also run on other kernels with BTF.
$(BUILD)/vmlinux.h: | deps
	@mkdir -p $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HEADERS) $(BUILD)/vmlinux.h
	@mkdir -p $(BPF_OUT)
	$(CLANG) -target bpf -D__TARGET_ARCH_$(ARCH) -g -O2 -Wall -Werror \
		-I$(BUILD) -Ibpf/include -Ibpf -c $< -o $@

bpf: deps $(BPF_OBJECTS)

# The chart library tracer report inlines (uPlot, pinned in tools/report-assets/package-lock.json),
# embedded into Tracer.Report at build time; npm ci again whenever the lock file changes.
REPORT_ASSETS := tools/report-assets
$(REPORT_ASSETS)/node_modules/.package-lock.json: $(REPORT_ASSETS)/package-lock.json | deps
	cd $(REPORT_ASSETS) && npm ci --no-audit --no-fund

report-assets: $(REPORT_ASSETS)/node_modules/.package-lock.json

build: bpf report-assets
	$(DOTNET) build Tracer.sln -c $(CONFIGURATION) --nologo -v quiet

run: build
	$(TRACER) run $(RUN_ARGS)

test: build
	$(DOTNET) test Tracer.sln -c $(CONFIGURATION) --no-build --nologo

-include Makefile.bindings

clean:
	rm -rf $(BUILD)
	$(DOTNET) clean Tracer.sln -c $(CONFIGURATION) --nologo -v quiet

# Overhead and consumer budgets (scripts/bench.sh, workload and tracer pinned to one CPU) of the
# NativeAOT binary, the one deployed, then the same overhead unpinned against the floor
# (scripts/bench-unpinned.sh: iperf3, sockperf ping-pong and connection churn against nginx, each
# one long run with the commands started and stopped under it; UNPINNED_* set its length), then tracer attach start-up against bpftrace (scripts/bench-attach.sh, JIT and
# NativeAOT builds), then the data path walk over 50 processes with 1,000 fds each
# (scripts/bench-walk.sh, budget 200 ms), then tracer report of a 1 M-sample recording: its size and
# chromium's time to open it (scripts/bench-report.sh, budgets 3 MB and 2 s). Results and the
# commands are recorded in docs/benchmarks.md.
bench: build publish
	@scripts/install-deps.sh --bench
	scripts/bench.sh $(BENCH_ROUNDS)
	scripts/bench-unpinned.sh
	scripts/bench-attach.sh $(BENCH_RUNS)
	scripts/bench-walk.sh $(BENCH_WALK_RUNS)
	TRACER=$(AOT) scripts/bench-report.sh $(BENCH_REPORT_SAMPLES) $(BENCH_REPORT_RUNS)

# tracer run for SOAK_SECONDS (600) under traffic, socket churn and zero-window episodes, exporting to
# an OTLP receiver that is killed and restarted: memory, descriptors, lost spans, clean exit
# (scripts/soak.sh; figures in docs/reliability.md). Not part of make test.
soak: build publish
	scripts/soak.sh

# NativeAOT build of the tracer command into build/aot/ (not needed by make test)
publish: bpf report-assets
	$(DOTNET) publish src/Tracer.Cli/Tracer.Cli.csproj -c $(CONFIGURATION) -r linux-x64 -p:PublishAot=true -o $(BUILD)/aot --nologo -v quiet

# The NativeAOT binary, its unit (ExecStart pointing at PREFIX), /etc/default/tracer (kept if it
# exists: it is the administrator's), the man page rendered from --help, README and docs.
install: publish
	@$(MAKE) --no-print-directory install-files

install-files:
	install -D -m 0755 $(AOT) $(DESTDIR)$(PREFIX)/bin/tracer
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)/etc/default $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/doc/tracer/docs
	sed 's|^ExecStart=/usr/bin/tracer|ExecStart=$(PREFIX)/bin/tracer|' deploy/tracer.service > $(DESTDIR)$(UNITDIR)/tracer.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tracer.service
	[ -e $(DESTDIR)/etc/default/tracer ] || install -m 0644 deploy/tracer.default $(DESTDIR)/etc/default/tracer
	scripts/manpage.sh $(AOT) | gzip -9n > $(DESTDIR)$(PREFIX)/share/man/man1/tracer.1.gz
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/tracer/
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/tracer/docs/

# build/tracer_VERSION_ARCH.deb: the install above under /usr, the unit in /lib/systemd/system,
# /etc/default/tracer a conffile (scripts/deb.sh).
deb: publish
	scripts/deb.sh $(AOT) $(DEB_ARCH) $(BUILD)

.PHONY: bench publish soak install install-files deb
