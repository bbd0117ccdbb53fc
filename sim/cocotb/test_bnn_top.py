"""cocotb tests for a bnnc top level (docs/hardware.md), against a vector file
(docs/vector-format.md). Run them through run.py, which sets the parameters.

The tests share one scheme: a source sends images on s_axis, a sink takes results on
m_axis and checks each one against the integer model's class and scores, in order. They
differ in traffic:

- test_back_to_back: no idle cycles, m_axis_tready always high.
- test_random_traffic: random idle cycles on the input, random back-pressure on the
  output (in bursts, from single cycles to stalls long enough to fill the pipeline),
  noise in the padding bytes of the last beat.
- test_reset_mid_frame: reset while a frame is half sent and others are in flight, then
  reset while a finished result waits on a blocked output; afterwards every frame sent
  (up to AFTER_RESET of them, with random traffic) must come out exactly once and no
  dropped frame may come out at all.
- test_cycle_figures: latency of one frame into an empty pipeline and the steady-state
  interval between results, against the planned figures in manifest.json.

Failure messages name the image ("image N (record R)") so the TypeScript side can say
which image broke. Randomness comes from BNNC_SEED and the test's name only.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.task import Task
from cocotb.triggers import RisingEdge, Timer

from axis import AxisSink, AxisSource, BurstPattern, Scoreboard, always, never
from bench_config import BenchConfig, load_config
from bnnv import VectorRecord, read_vectors

# Probability levels for the burst patterns: 0.0 makes long stalls, 1.0 full speed.
IDLE_LEVELS = (0.0, 0.3, 0.7, 0.95, 1.0, 1.0)
READY_LEVELS = (0.0, 0.0, 0.25, 0.5, 0.9, 1.0, 1.0)
# Frames sent after the resets in test_reset_mid_frame.
AFTER_RESET = 24


@dataclass
class Bench:
    dut: Any
    cfg: BenchConfig
    records: list[VectorRecord]
    rng: random.Random
    scoreboard: Scoreboard
    source: AxisSource
    sink: AxisSink
    sink_task: Task[None]
    #: rising edges since this test's clock started (the first edge is 1)
    cycle: Callable[[], int]

    @property
    def beats_per_frame(self) -> int:
        return -(-self.cfg.pixels // self.cfg.in_pix)


def _check_ports(dut: Any, cfg: BenchConfig) -> None:
    """The manifest, the vector file and the design must agree on every width."""
    widths = {
        "s_axis_tdata": 8 * cfg.in_pix,
        "m_axis_tdata": 16 + 32 * cfg.classes,
    }
    for port, want in widths.items():
        got = len(getattr(dut, port))
        if got != want:
            raise AssertionError(f"port {port} is {got} bits wide; manifest.json implies {want}")


async def start_bench(dut: Any, test_name: str) -> Bench:
    cfg = load_config()
    vf = read_vectors(cfg.vectors, cfg.limit)
    if vf.pixels != cfg.pixels:
        raise AssertionError(f"{cfg.vectors}: images of {vf.pixels} bytes; the design takes {cfg.pixels}")
    if vf.classes != cfg.classes:
        raise AssertionError(f"{cfg.vectors}: {vf.classes} classes; the design has {cfg.classes}")
    if not vf.records:
        raise AssertionError(f"{cfg.vectors}: no records to test (limit {cfg.limit})")
    _check_ports(dut, cfg)

    # Seeding with a string is stable across Python runs (it goes through sha512).
    rng = random.Random(f"{cfg.seed}:{test_name}")
    period = cfg.period_ns
    # Inputs first, then the clock, starting low: its first rising edge comes half a
    # period later and already sees them (a clock starting high would clock X in).
    dut.s_axis_tvalid.value = 0
    dut.s_axis_tlast.value = 0
    dut.s_axis_tdata.value = 0
    dut.m_axis_tready.value = 0
    dut.rst.value = 1
    t0 = get_sim_time("ns")

    def cycle() -> int:
        return int((get_sim_time("ns") - t0 + period / 2) // period)

    # The simulator-side clock: a Python clock coroutine would cost two wake-ups a cycle.
    Clock(dut.clk, period, unit="ns", impl="gpi").start(start_high=False)
    scoreboard = Scoreboard(cfg.classes, dut._log)
    beats = -(-cfg.pixels // cfg.in_pix)
    source = AxisSource(dut, cfg.in_pix, scoreboard, cycle, rng, cfg.result_beats or beats)
    sink = AxisSink(dut, scoreboard, cycle)
    for _ in range(4):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    sink_task = cocotb.start_soon(sink.run())
    bench = Bench(dut, cfg, vf.records, rng, scoreboard, source, sink, sink_task, cycle)
    dut._log.info(
        "%s: %d images from %s, seed %d, %d beats per image, results after %d",
        test_name,
        len(vf.records),
        cfg.vectors,
        cfg.seed,
        bench.beats_per_frame,
        source.result_beats,
    )
    return bench


def _last_progress(b: Bench) -> int:
    return max(b.source.last_progress_cycle, b.sink.last_progress_cycle)


# run_until looks at the state every POLL cycles rather than every cycle: the source and
# sink already react cycle by cycle, and a wake-up per cycle here would cost a third of
# the testbench's time.
POLL = 16


async def run_until(b: Bench, done: Any, what: str) -> None:
    """Clock until `done()` holds (checked every POLL cycles, at a rising edge); fail if
    no beat moves on either port for stall_cycles."""
    # Sleep to the middle of a cycle, then to its rising edge, so that signals read by
    # `done` are the values that edge sampled, never a half-updated time step.
    nap = Timer((POLL - 0.5) * b.cfg.period_ns, unit="ns")
    edge = RisingEdge(b.dut.clk)
    while not done():
        await nap
        await edge
        now = b.cycle()
        idle_for = now - _last_progress(b)
        if idle_for > b.cfg.stall_cycles:
            raise AssertionError(
                f"{b.scoreboard.next_label()}: no handshake on s_axis or m_axis for {idle_for} cycles "
                f"while {what} (frame lost or pipeline stuck; {b.scoreboard.checked} results checked)"
            )


async def send_and_check(b: Bench, frames: list[VectorRecord], what: str) -> None:
    """Send frames and wait until each of them has its result checked."""
    b.source.last_progress_cycle = b.cycle()
    task = cocotb.start_soon(b.source.send(frames))
    await run_until(b, lambda: task.done() and not b.scoreboard.pending, what)
    await task  # re-raise a source failure, if any


async def drain(b: Bench) -> None:
    """With tready high, wait long enough for any extra (duplicated) result to appear; the
    sink fails the test if one does."""
    b.sink.ready = always
    longest = max(b.scoreboard.latencies, default=0)
    window = max(64, 2 * longest)
    for _ in range(window):
        await RisingEdge(b.dut.clk)


async def pulse_reset(b: Bench, cycles: int) -> int:
    """Hold rst high for `cycles` edges. Returns the number of frames it dropped."""
    b.source.idle()
    b.dut.rst.value = 1
    await RisingEdge(b.dut.clk)
    dropped = b.scoreboard.flush()
    for _ in range(cycles - 1):
        await RisingEdge(b.dut.clk)
    b.dut.rst.value = 0
    b.source.last_progress_cycle = b.cycle()
    b.sink.last_progress_cycle = b.cycle()
    return dropped


@cocotb.test()
async def test_back_to_back(dut: Any) -> None:
    b = await start_bench(dut, "test_back_to_back")
    await send_and_check(b, b.records, "sending back to back")
    await drain(b)
    assert b.scoreboard.checked == len(b.records), (b.scoreboard.checked, len(b.records))
    dut._log.info("test_back_to_back: %d results correct", b.scoreboard.checked)


@cocotb.test()
async def test_random_traffic(dut: Any) -> None:
    b = await start_bench(dut, "test_random_traffic")
    b.source.present = BurstPattern(b.rng, IDLE_LEVELS)
    b.source.noisy_padding = True
    b.sink.ready = BurstPattern(b.rng, READY_LEVELS)
    await send_and_check(b, b.records, "sending with random idle cycles and back-pressure")
    await drain(b)
    assert b.scoreboard.checked == len(b.records), (b.scoreboard.checked, len(b.records))
    dut._log.info("test_random_traffic: %d results correct", b.scoreboard.checked)


@cocotb.test()
async def test_reset_mid_frame(dut: Any) -> None:
    b = await start_bench(dut, "test_reset_mid_frame")
    rng = b.rng
    recs = b.records
    n = len(recs)
    b.source.present = BurstPattern(rng, IDLE_LEVELS)
    b.source.noisy_padding = True
    b.sink.ready = BurstPattern(rng, READY_LEVELS)

    # 1. A few whole frames, then part of the next one; reset with frames in flight.
    whole = min(n - 1, rng.randint(1, 4)) if n > 1 else 0
    bpf = b.beats_per_frame
    cut_beats = rng.randint(1, bpf - 1) if bpf > 1 else 0
    cut_frame = recs[whole] if whole < n else recs[0]
    frames = recs[:whole] + [cut_frame]
    stop_at = whole * bpf + cut_beats
    b.source.last_progress_cycle = b.cycle()
    task = cocotb.start_soon(b.source.send(frames, stop_after_beats=stop_at))
    await run_until(b, task.done, f"sending {whole} frames and {cut_beats} beats of the next")
    await task
    before = b.scoreboard.checked
    dropped = await pulse_reset(b, rng.randint(1, 3))
    dut._log.info(
        "reset after %d frames + %d/%d beats: %d results came out before it, %d in flight dropped",
        whole,
        cut_beats,
        bpf,
        before,
        dropped,
    )

    # 2. One frame into the pipeline with the output blocked; reset while its result waits.
    b.sink.ready = never
    held = recs[whole % n]
    b.source.present = always
    task = cocotb.start_soon(b.source.send([held]))
    await run_until(b, lambda: task.done() and int(dut.m_axis_tvalid.value) == 1, "waiting for a held result")
    for _ in range(rng.randint(1, 5)):
        await RisingEdge(dut.clk)
    dropped = await pulse_reset(b, rng.randint(1, 3))
    assert dropped == 1, f"expected the held frame to be the only one in flight, the scoreboard had {dropped}"
    dut._log.info("reset with a finished result waiting on m_axis: dropped")

    # 3. After the resets, every frame sent comes out once, correct, in order. The cut
    # and the held frame come first; AFTER_RESET frames fill and drain the pipeline many
    # times over (the other tests cover every image).
    b.source.present = BurstPattern(rng, IDLE_LEVELS)
    b.sink.ready = BurstPattern(rng, READY_LEVELS)
    after = (recs[whole:] + recs[:whole])[:AFTER_RESET]
    start_checked = b.scoreboard.checked
    await send_and_check(b, after, "sending after reset")
    await drain(b)
    assert b.scoreboard.checked - start_checked == len(after)
    dut._log.info("test_reset_mid_frame: %d results after reset correct", len(after))


@cocotb.test()
async def test_cycle_figures(dut: Any) -> None:
    b = await start_bench(dut, "test_cycle_figures")
    cfg = b.cfg
    # One frame into an empty pipeline: the latency of docs/hardware.md.
    await send_and_check(b, b.records[:1], "measuring latency")
    latency = b.scoreboard.latencies[0]
    # Back-to-back frames: in steady state results leave every II cycles.
    frames = [b.records[i % len(b.records)] for i in range(8)]
    start = len(b.scoreboard.result_cycles)
    await send_and_check(b, frames, "measuring the initiation interval")
    cycles = b.scoreboard.result_cycles[start:]
    gaps = [y - x for x, y in zip(cycles, cycles[1:])]
    steady = gaps[len(gaps) // 2 :]
    dut._log.info("latency %d cycles, result gaps %s (planned: latency %s, II %s)", latency, gaps, cfg.expect_latency, cfg.expect_ii)
    if cfg.expect_latency is not None:
        assert latency == cfg.expect_latency, f"latency {latency} cycles, planned {cfg.expect_latency}"
    if cfg.expect_ii is not None:
        assert all(g == cfg.expect_ii for g in steady), f"steady-state result interval {steady}, planned II {cfg.expect_ii}"
