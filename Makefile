# bnnc — the two commands a newcomer needs are `make demo` and `make test`.
# Every target runs `setup` first; `setup` installs only what is missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

APT_PACKAGES := verilator iverilog yosys nextpnr-ice40 fpga-icestorm dataset-fashion-mnist
# cocotb 2.1 supports Icarus 11 (Debian). Pinned; see docs/simulators.md.
COCOTB_VERSION := 2.1.0
VENV := .venv
PY := $(VENV)/bin/python
BNNC := node dist/cli.js

.PHONY: help setup setup-apt setup-npm setup-py build demo test fuzz bench clean

help:
	@echo "make demo   train sfc on MNIST, fold, compile, verify on all test images, report"
	@echo "make test   the whole test suite"
	@echo "make fuzz   long fuzzing and random differential testing"
	@echo "make bench  benchmarks (figures printed and written to bench/out/)"
	@echo "make clean  remove generated files"

setup: setup-apt setup-npm setup-py build

setup-apt:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

setup-npm: node_modules/.bnnc-stamp
node_modules/.bnnc-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

setup-py: $(VENV)/.bnnc-stamp
$(VENV)/.bnnc-stamp: Makefile
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check cocotb==$(COCOTB_VERSION) pytest
	@touch $@

build: dist/.bnnc-stamp
dist/.bnnc-stamp: node_modules/.bnnc-stamp tsconfig.json $(shell find src -name '*.ts' -not -name '*.test.ts' 2>/dev/null)
	npx tsc -p tsconfig.json
	@touch $@

demo: setup
	$(BNNC) demo

test: setup
	npx tsc -p tsconfig.test.json
	npx vitest run

fuzz: setup
	BNNC_FUZZ=full npx vitest run test/fuzz

bench: setup
	@mkdir -p bench/out
	@for b in bench/*.ts; do echo "== $$b"; npx tsx $$b || exit 1; done

clean:
	rm -rf dist rtl-out bench/out .cache
