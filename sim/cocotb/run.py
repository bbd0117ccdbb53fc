"""Build a bnnc RTL directory with a cocotb simulator and run the testbenches in
test_bnn_top.py against a vector file; results go to a JUnit XML file.

    python sim/cocotb/run.py --rtl-dir rtl-out/tfc --vectors tfc.bnnv --work-dir /tmp/w \
        [--limit 100] [--seed 1] [--sim icarus] [--tests test_back_to_back,...] [--result-beats N]

The design is built from the RTL directory's Verilog files into <work-dir>/sim_build and
simulated with the RTL directory as working directory, because the ROM images are loaded
with $readmemh paths relative to it. Nothing is written into the RTL directory.
Exit status: 0 when every test passed, 1 when a test failed, 2 for a usage or input error,
3 when the build failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# The testbenches live in a source tree; keep it free of bytecode caches.
sys.dont_write_bytecode = True
os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")

from bnnv import VectorFileError, read_vectors  # noqa: E402
from manifest import ManifestError, read_manifest  # noqa: E402

TEST_MODULE = "test_bnn_top"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rtl-dir", required=True, help="directory written by `bnnc compile` (with manifest.json)")
    p.add_argument("--vectors", required=True, help=".bnnv vector file with the expected results")
    p.add_argument("--work-dir", required=True, help="directory for the build and results.xml")
    p.add_argument("--results", help="JUnit XML output (default: <work-dir>/results.xml)")
    p.add_argument("--limit", type=int, help="use the first N records of the vector file")
    p.add_argument("--seed", type=int, default=1, help="seed of the random traffic (default 1)")
    p.add_argument("--sim", default="icarus", choices=["icarus", "verilator"])
    p.add_argument("--tests", help="comma-separated test names (default: all)")
    p.add_argument(
        "--result-beats",
        type=int,
        help="beats of a frame its result depends on (default: all); its result may leave before the rest",
    )
    p.add_argument("--stall-cycles", type=int, help="cycles without a handshake that count as a hang")
    p.add_argument("--waves", action="store_true", help="dump waves into the work directory")
    return p.parse_args(argv)


INPUT_ERROR_TAG = "BNNC_INPUT_ERROR"


def input_error(source: str, field: str, expected: str, got: str | None = None) -> int:
    """Report bad input on one line a person can read and one the TypeScript bridge parses."""
    tail = "" if got is None else f", got {got}"
    print(f"bnnc-cocotb: {source}: {field}: expected {expected}{tail}", file=sys.stderr)
    record = {"source": source, "field": field, "expected": expected, "got": got}
    print(f"{INPUT_ERROR_TAG} {json.dumps(record)}", file=sys.stderr)
    return 2


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    rtl_dir = Path(args.rtl_dir).resolve()
    work_dir = Path(args.work_dir).resolve()
    vectors = Path(args.vectors).resolve()
    if args.limit is not None and args.limit < 1:
        return input_error("--limit", "value", "a positive number of images", str(args.limit))
    try:
        m = read_manifest(rtl_dir)
        # Check the whole file now, so a bad one stops the run before the build.
        vf = read_vectors(vectors, limit=0)
    except (ManifestError, VectorFileError) as e:
        return input_error(e.source, e.field, e.expected, e.got)
    except OSError as e:
        return input_error(str(e.filename or vectors), "file", "a readable file", e.strerror)
    beats = -(-m.pixels // m.in_pix)
    if args.result_beats is not None and not 1 <= args.result_beats <= beats:
        return input_error("--result-beats", "value", f"1 to {beats} (beats per frame, manifest.json)", str(args.result_beats))
    if vf.count == 0:
        return input_error(str(vectors), "count", "at least one record", "0")
    if vf.pixels != m.pixels:
        return input_error(str(vectors), "pixels", f"{m.pixels} bytes per image (manifest.json)", str(vf.pixels))
    if vf.classes != m.classes:
        return input_error(str(vectors), "classes", f"{m.classes} (manifest.json)", str(vf.classes))

    # Imported late so that `--help` and input errors work without cocotb installed.
    from cocotb_tools.runner import get_runner

    results = Path(args.results).resolve() if args.results else work_dir / "results.xml"
    build_dir = work_dir / "sim_build"
    work_dir.mkdir(parents=True, exist_ok=True)

    # A hang is a stretch without any handshake; a healthy design makes one at least
    # every latency + II cycles even with the output stalled in long bursts.
    stall = args.stall_cycles
    if stall is None:
        planned = (m.latency or 0) + (m.ii or 0)
        stall = max(20_000, 8 * planned) if planned else 200_000

    runner = get_runner(args.sim)
    build_args: list[str] = []
    if args.sim == "verilator":
        build_args = ["--timing", "-Wno-fatal"]
    try:
        runner.build(
            sources=[str(f) for f in m.sources],
            hdl_toplevel=m.top,
            build_dir=build_dir,
            build_args=build_args,
            timescale=("1ns", "1ps"),
            waves=args.waves,
            always=True,
        )
    except (SystemExit, Exception) as e:  # the runner reports compiler output itself
        print(f"bnnc-cocotb: build failed: {e}", file=sys.stderr)
        return 3

    env = {
        "BNNC_VECTORS": str(vectors),
        "BNNC_SEED": str(args.seed),
        "BNNC_IN_PIX": str(m.in_pix),
        "BNNC_PIXELS": str(m.pixels),
        "BNNC_CLASSES": str(m.classes),
        "BNNC_STALL_CYCLES": str(stall),
        # cocotb would otherwise put bytecode caches beside the testbenches
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if args.limit is not None:
        env["BNNC_LIMIT"] = str(args.limit)
    if args.result_beats is not None:
        env["BNNC_RESULT_BEATS"] = str(args.result_beats)
    if m.ii is not None:
        env["BNNC_EXPECT_II"] = str(m.ii)
    if m.latency is not None:
        env["BNNC_EXPECT_LATENCY"] = str(m.latency)

    tests = [t.strip() for t in args.tests.split(",") if t.strip()] if args.tests else None
    try:
        runner.test(
            test_module=TEST_MODULE,
            hdl_toplevel=m.top,
            build_dir=build_dir,
            test_dir=rtl_dir,
            results_xml=str(results),
            extra_env=env,
            testcase=tests,
            seed=args.seed,
            waves=args.waves,
        )
    except SystemExit as e:
        print(f"bnnc-cocotb: simulator exited with {e.code}", file=sys.stderr)
        return 1
    from cocotb_tools.check_results import get_results

    try:
        total, failed = get_results(results)
    except RuntimeError as e:
        print(f"bnnc-cocotb: {e}", file=sys.stderr)
        return 1
    print(f"bnnc-cocotb: {total - failed}/{total} tests passed; results in {results}")
    return 1 if failed or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
