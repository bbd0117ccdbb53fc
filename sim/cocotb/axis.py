"""AXI4-Stream drivers for the bnnc top level (docs/hardware.md): a pixel source on
s_axis_*, a result sink on m_axis_*, and the scoreboard that matches results with the
vector file.

Why our own and not cocotbext-axi: the top level needs two ports and one beat type each,
plus a source that can stop in the middle of a frame for the reset test and a sink that
checks the AXI4-Stream rules (tvalid held, tdata stable until the handshake), which
cocotbext-axi does not check. It also keeps the Python dependencies to cocotb alone.

Sampling convention: a coroutine drives its outputs right after a rising edge (they take
effect for the next edge) and, after `await RisingEdge(clk)`, reads the values the design
presented at that edge, which are the values the edge sampled.
"""

from __future__ import annotations

import random
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cocotb.triggers import RisingEdge

from bnnv import VectorRecord


def pack_beats(pixels: bytes, in_pix: int, pad: Callable[[int], bytes] | None = None) -> list[int]:
    """Beats of one image: pixel i in beat i // in_pix at bits [8*(i % in_pix) +: 8].

    `pad(n)` supplies the n padding bytes of the last beat; the design must ignore them,
    so the random tests fill them with noise instead of zeros.
    """
    beats: list[int] = []
    for start in range(0, len(pixels), in_pix):
        chunk = pixels[start : start + in_pix]
        if len(chunk) < in_pix:
            n = in_pix - len(chunk)
            chunk = chunk + (pad(n) if pad else bytes(n))
        beats.append(int.from_bytes(chunk, "little"))
    return beats


class BurstPattern:
    """Per-cycle yes/no decisions in bursts: every 1..max_burst cycles a new probability is
    drawn from `levels`, so a run mixes fine-grained randomness with long stalls (long
    enough to fill the pipeline) and long stretches of full speed."""

    def __init__(self, rng: random.Random, levels: tuple[float, ...], max_burst: int = 64) -> None:
        self.rng = rng
        self.levels = levels
        self.max_burst = max_burst
        self.left = 0
        self.p = 1.0

    def __call__(self) -> bool:
        if self.left == 0:
            self.p = self.rng.choice(self.levels)
            self.left = self.rng.randint(1, self.max_burst)
        self.left -= 1
        return self.rng.random() < self.p


_NOT_01 = re.compile("[^01]")


def _bit(handle: Any, cycle: Callable[[], int]) -> int:
    """A 1-bit output as 0/1; X or Z after reset is a design error worth its own message."""
    v = handle.value
    if not v.is_resolvable:
        raise AssertionError(f"{handle._name} is {v} at cycle {cycle()} (after reset)")
    return int(v)


def always() -> bool:
    return True


def never() -> bool:
    return False


@dataclass
class ResultBeat:
    cls: int
    scores: tuple[int, ...]
    cycle: int


def decode_result(word: int, classes: int) -> tuple[int, tuple[int, ...]]:
    """Bits [15:0] class, bits [16+32j +: 32] the signed score of class j."""
    cls = word & 0xFFFF
    scores = []
    for j in range(classes):
        s = (word >> (16 + 32 * j)) & 0xFFFFFFFF
        scores.append(s - (1 << 32) if s & 0x80000000 else s)
    return cls, tuple(scores)


class Scoreboard:
    """Frames whose result the design may give, in order, waiting for it: a frame joins
    once the design accepted the beats its result depends on (`result_beats`, all of
    them unless a ConvNet's pool drops the image's last rows and columns; see
    src/hw/result-beats.ts), which may be before its last beat."""

    def __init__(self, classes: int, log: Any) -> None:
        self.classes = classes
        self.log = log
        self.pending: deque[VectorRecord] = deque()
        #: cycle at which each pending frame's first beat was accepted
        self.first_beat_cycle: dict[int, int] = {}
        self.checked = 0
        self.dropped = 0
        self.latencies: list[int] = []
        self.result_cycles: list[int] = []

    def expect(self, rec: VectorRecord, first_beat_cycle: int) -> None:
        self.pending.append(rec)
        self.first_beat_cycle[id(rec)] = first_beat_cycle

    def flush(self) -> int:
        """Reset drops every frame in flight: forget them. Returns how many."""
        n = len(self.pending)
        self.dropped += n
        self.pending.clear()
        self.first_beat_cycle.clear()
        return n

    def next_label(self) -> str:
        if not self.pending:
            return "no frame awaiting a result"
        rec = self.pending[0]
        return f"image {rec.image} (record {rec.record})"

    def check(self, word: int, tlast: int, cycle: int) -> None:
        if not self.pending:
            raise AssertionError(
                f"unexpected result beat at cycle {cycle} (class {word & 0xFFFF}): every frame sent "
                "has its result already, or was dropped by reset (duplicate or stale result)"
            )
        rec = self.pending.popleft()
        first = self.first_beat_cycle.pop(id(rec), None)
        cls, scores = decode_result(word, self.classes)
        where = f"image {rec.image} (record {rec.record})"
        if cls != rec.expected_class or scores != rec.expected_scores:
            raise AssertionError(
                f"{where}: result mismatch at cycle {cycle}: class {cls} (expected {rec.expected_class}), "
                f"scores {list(scores)} (expected {list(rec.expected_scores)})"
            )
        if tlast != 1:
            raise AssertionError(f"{where}: m_axis_tlast is {tlast} on its result beat (must be 1 on every beat)")
        if first is not None:
            self.latencies.append(cycle - first)
        self.result_cycles.append(cycle)
        self.checked += 1


class AxisSource:
    """Drives s_axis_* with the beats of whole frames, optionally stopping after a given
    number of accepted beats (to cut a frame for the reset test).

    Signals are written only when their value changes: a simulation spends most of its
    cycles waiting, and every write is a round trip through the simulator interface."""

    def __init__(
        self,
        dut: Any,
        in_pix: int,
        scoreboard: Scoreboard,
        clock_counter: Callable[[], int],
        rng: random.Random,
        result_beats: int,
    ) -> None:
        self.dut = dut
        self.in_pix = in_pix
        #: accepted beats of a frame after which its result may leave (1..beats per frame)
        self.result_beats = result_beats
        self.scoreboard = scoreboard
        self.cycle = clock_counter
        self.rng = rng
        #: decides, per cycle, whether to present a beat (False = an idle cycle)
        self.present: Callable[[], bool] = always
        #: fill padding bytes with noise (True) or zeros
        self.noisy_padding = False
        self.beats_accepted = 0
        self.frames_sent = 0
        self.last_progress_cycle = 0
        self._valid = -1  # what s_axis_tvalid was last driven to (-1: unknown)

    def idle(self) -> None:
        if self._valid != 0:
            self.dut.s_axis_tvalid.value = 0
            self._valid = 0

    def _pad(self, n: int) -> bytes:
        return bytes(self.rng.getrandbits(8) for _ in range(n)) if self.noisy_padding else bytes(n)

    async def send(self, frames: list[VectorRecord], stop_after_beats: int | None = None) -> None:
        """Send `frames` back to back (with idle cycles when `present` says so). With
        `stop_after_beats`, return as soon as that many beats of this call were accepted."""
        dut = self.dut
        clk_edge = RisingEdge(dut.clk)
        rst = dut.rst
        tready = dut.s_axis_tready
        accepted_here = 0
        last_driven = -1
        for rec in frames:
            beats = pack_beats(rec.pixels, self.in_pix, self._pad)
            if self.result_beats > len(beats):
                raise AssertionError(f"result_beats {self.result_beats} exceeds the {len(beats)} beats of a frame")
            first_cycle = -1
            i = 0
            while i < len(beats):
                if stop_after_beats is not None and accepted_here >= stop_after_beats:
                    self.idle()
                    return
                while not self.present():
                    self.idle()
                    await clk_edge
                dut.s_axis_tdata.value = beats[i]
                last = 1 if i == len(beats) - 1 else 0
                if last != last_driven:
                    dut.s_axis_tlast.value = last
                    last_driven = last
                if self._valid != 1:
                    dut.s_axis_tvalid.value = 1
                    self._valid = 1
                # hold the beat until the design takes it (AXI4-Stream: no withdrawing)
                while True:
                    await clk_edge
                    if int(rst.value) == 0 and _bit(tready, self.cycle) == 1:
                        break
                now = self.cycle()
                self.last_progress_cycle = now
                if i == 0:
                    first_cycle = now
                i += 1
                # From here the design may give the frame's result, though it still
                # takes the frame's remaining beats (src/hw/result-beats.ts).
                if i == self.result_beats:
                    self.scoreboard.expect(rec, first_cycle)
                accepted_here += 1
                self.beats_accepted += 1
            self.frames_sent += 1
        self.idle()


class AxisSink:
    """Drives m_axis_tready and checks every result beat: AXI4-Stream rules (tvalid stays
    high and tdata stable until accepted), no result right after reset, and the result
    itself through the scoreboard. Any violation raises, which fails the running test."""

    def __init__(self, dut: Any, scoreboard: Scoreboard, clock_counter: Callable[[], int]) -> None:
        self.dut = dut
        self.scoreboard = scoreboard
        self.cycle = clock_counter
        #: decides, per cycle, whether m_axis_tready is high
        self.ready: Callable[[], bool] = always
        self.last_progress_cycle = 0
        self.beats = 0

    async def run(self) -> None:
        dut = self.dut
        clk_edge = RisingEdge(dut.clk)
        rst = dut.rst
        tvalid = dut.m_axis_tvalid
        tready = dut.m_axis_tready
        held: int | None = None  # tdata presented but not accepted at the previous edge
        after_reset = False
        driven = -1
        while True:
            ready = 1 if self.ready() else 0
            if ready != driven:
                tready.value = ready
                driven = ready
            await clk_edge
            if int(rst.value) == 1:
                held = None
                after_reset = True
                continue
            valid = _bit(tvalid, self.cycle)
            if after_reset:
                after_reset = False
                if valid:
                    raise AssertionError(
                        f"m_axis_tvalid high on the first edge after reset (cycle {self.cycle()}): "
                        "reset must clear every frame in flight"
                    )
            if held is not None and not valid:
                raise AssertionError(
                    f"{self.scoreboard.next_label()}: m_axis_tvalid dropped at cycle {self.cycle()} before "
                    "m_axis_tready took the beat (AXI4-Stream: tvalid must stay high until the handshake)"
                )
            if not valid:
                continue
            # As a bit string: building a LogicArray of Logic objects costs more than
            # the rest of the sink together on a wide result.
            bits = str(dut.m_axis_tdata.value)
            if _NOT_01.search(bits):
                raise AssertionError(
                    f"{self.scoreboard.next_label()}: m_axis_tdata has X/Z bits at cycle {self.cycle()}: {bits}"
                )
            data = int(bits, 2)
            if held is not None and data != held:
                raise AssertionError(
                    f"{self.scoreboard.next_label()}: m_axis_tdata changed at cycle {self.cycle()} while "
                    "m_axis_tvalid was waiting for m_axis_tready (AXI4-Stream: data must be stable)"
                )
            # `ready` is what this edge sampled: it was driven before the edge
            if ready:
                held = None
                self.beats += 1
                now = self.cycle()
                self.last_progress_cycle = now
                self.scoreboard.check(data, _bit(dut.m_axis_tlast, self.cycle), now)
            else:
                held = data
