"""Parameters of a cocotb run, passed by run.py (from the command line and the RTL
directory's manifest.json) to the simulator process through environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class BenchConfig:
    vectors: str
    #: records to use (None = all in the file)
    limit: int | None
    seed: int
    #: pixels per input beat, bytes per image, classes (from manifest.json)
    in_pix: int
    pixels: int
    classes: int
    #: cycles without any handshake after which a test declares the design stuck
    stall_cycles: int
    #: beats of a frame its result depends on (None: all); a result may leave before
    #: the frame's remaining beats are accepted (src/hw/result-beats.ts)
    result_beats: int | None
    #: planned initiation interval and latency (None when the manifest has none)
    expect_ii: int | None
    expect_latency: int | None
    #: clock period in ns (only sets the time scale of logs and waves)
    period_ns: int = 10


def _int(name: str, default: int | None = None) -> int | None:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw, 0)
    except ValueError:
        raise ValueError(f"environment variable {name}: expected an integer, got {raw!r}") from None


def _required(name: str) -> int:
    v = _int(name)
    if v is None:
        raise ValueError(f"environment variable {name} is required (run the tests through sim/cocotb/run.py)")
    return v


def load_config() -> BenchConfig:
    vectors = os.environ.get("BNNC_VECTORS", "")
    if not vectors:
        raise ValueError("environment variable BNNC_VECTORS is required (path of a .bnnv vector file)")
    return BenchConfig(
        vectors=vectors,
        limit=_int("BNNC_LIMIT"),
        seed=_int("BNNC_SEED", 1) or 0,
        in_pix=_required("BNNC_IN_PIX"),
        pixels=_required("BNNC_PIXELS"),
        classes=_required("BNNC_CLASSES"),
        stall_cycles=_int("BNNC_STALL_CYCLES", 100_000) or 100_000,
        result_beats=_int("BNNC_RESULT_BEATS"),
        expect_ii=_int("BNNC_EXPECT_II"),
        expect_latency=_int("BNNC_EXPECT_LATENCY"),
    )
