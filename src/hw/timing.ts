/**
 * The cycle model of a streaming (ConvNet) design: an exact simulation of the RTL's
 * control, not of its data. Within a frame a convolution's windows, a pool's outputs and
 * a flatten buffer's beats come at rates that change from row to row (a sliding-window
 * unit takes K - 1 lines before its first window), so the network's pace is not a
 * closed formula of the stage figures; it is what the handshakes make of them. This
 * module runs those handshakes: each block keeps exactly the control state of its
 * Verilog (templates/rtl: counters, bank flags, pipeline valid bits, output registers)
 * and takes one clock edge at a time, and long runs in which an MVTU only counts
 * through a vector are skipped in one step. The data path is not simulated, so a frame
 * costs a few steps per beat whatever the folding.
 *
 * For an MLP the same simulation gives the closed formulas of ./cycles.ts (tested).
 */
import { BnncError } from '../errors.js';

/** One block of the chain between the source (s_axis) and the sink (m_axis). */
interface Unit {
  /** The output register / stream holds a beat. */
  valid(): boolean;
  /** Takes a beat at this edge if one is offered; may depend on the downstream ready. */
  ready(downReady: boolean): boolean;
  /** Apply one clock edge. */
  step(inFire: boolean, downReady: boolean, outFire: boolean): void;
  /** Edges during which nothing visible changes if no handshake happens (0: step now). */
  quiet(downReady: boolean): number;
  /** Apply n quiet edges at once. */
  skip(n: number): void;
}

/**
 * Banks in a ring: two (ping-pong) in bnnc_vec_buffer / bnnc_flat_buffer /
 * bnnc_pixel_input, `BANKS` in bnnc_swu; `beats` beats (or one window) fill one.
 */
class Banks {
  full: boolean[];
  wrSel = 0;
  rdSel = 0;
  constructor(private readonly n = 2) {
    this.full = new Array<boolean>(n).fill(false);
  }
  avail(): boolean {
    return this.full[this.rdSel];
  }
  wrFull(): boolean {
    return this.full[this.wrSel];
  }
  write(): void {
    this.full[this.wrSel] = true;
    this.wrSel = (this.wrSel + 1) % this.n;
  }
  release(): void {
    this.full[this.rdSel] = false;
    this.rdSel = (this.rdSel + 1) % this.n;
  }
}

export type FeedModel =
  | { kind: 'beats'; beats: number }
  | {
      kind: 'window';
      width: number;
      height: number;
      kernel: number;
      /** Pixels of the queue in front of the sliding-window unit (bnnc_fifo); 0: none. */
      fifo: number;
      /** Columns of the queue inside it, between the line memory and the window banks; 0: none. */
      queue: number;
      /** Window banks (at least 2). */
      banks: number;
    };

/**
 * A feed (buffer or sliding-window unit) and its MVTU (bnnc_mvtu.v's control). The MVTU's
 * pipeline is `depth` stages from the issue to the collector (2 unpipelined, more with
 * --pipeline); of each stage only whether it holds the last read of a vector matters to
 * the handshakes, besides whether stage 1 holds a read at all.
 */
class MvtuUnit implements Unit {
  private banks: Banks;
  private beat = 0;
  private col = 0;
  private row = 0;
  private cnt = 0;
  private p1v = false;
  /** vlast[i]: stage i + 1 holds the last read of a vector. */
  private vlast: boolean[];
  /** Stages holding a vector's last read (a cheap any()). */
  private inFlight = 0;
  /** Vectors held by the output registers: 0..1, or 0..2 with a skid register (--pipeline 3). */
  private outQ = 0;
  /** Pixels held by the queue (bnnc_fifo) in front of a sliding-window unit. */
  private queued = 0;
  /** Columns held by the sliding-window unit's column queue, and the column of the next one out. */
  private columns = 0;
  private wcol = 0;

  constructor(
    private readonly feed: FeedModel,
    /** Reads per input vector, NF*SF. */
    private readonly n: number,
    /** Pipeline stages from the issue to the collector (bnnc_mvtu.v's D). */
    depth: number,
    /** A second output register (bnnc_mvtu.v's PIPE = 3): the stall is decided from registers. */
    private readonly skid = false,
  ) {
    if (!(Number.isSafeInteger(depth) && depth >= 2)) throw new Error(`cycle model: MVTU depth ${depth}`);
    this.banks = new Banks(feed.kind === 'window' ? feed.banks : 2);
    this.vlast = new Array<boolean>(depth).fill(false);
  }

  /** The intake's pixel completes a column (its row is K - 1 or below). */
  private inCols(): boolean {
    return this.feed.kind === 'window' && this.row >= this.feed.kernel - 1;
  }

  private columnQueue(): number {
    return this.feed.kind === 'window' ? this.feed.queue : 0;
  }

  /** The next column into the window banks completes a window (bnnc_swu.v's `completes`). */
  private completes(): boolean {
    const f = this.feed;
    if (f.kind !== 'window') return false;
    return (f.queue > 0 ? this.wcol : this.col) >= f.kernel - 1;
  }

  /** The window half takes a column now (bnnc_swu.v's q_tready), if one is offered. */
  private columnReady(): boolean {
    return !(this.completes() && this.banks.wrFull());
  }

  /** The column queue hands a column to the window half at this edge. */
  private columnMoves(): boolean {
    return this.columnQueue() > 0 && this.columns > 0 && this.columnReady();
  }

  /** The collector stage holds a finished vector (bnnc_mvtu.v's vec_done). */
  private done(): boolean {
    return this.vlast[this.vlast.length - 1];
  }

  valid(): boolean {
    return this.outQ > 0;
  }

  /** A finished vector in the collector stage waits: no output register is free for it. */
  private blocked(downReady: boolean): boolean {
    if (!this.done()) return false;
    // skid: both registers full, whatever the consumer does this cycle
    return this.skid ? this.outQ === 2 : this.outQ === 1 && !downReady;
  }

  /** The sliding-window unit (or buffer) takes a beat now. */
  private feedReady(): boolean {
    if (this.feed.kind === 'beats') return !this.banks.wrFull();
    if (!this.inCols()) return true;
    return this.feed.queue > 0 ? this.columns < this.feed.queue : this.columnReady();
  }

  private hasFifo(): boolean {
    return this.feed.kind === 'window' && this.feed.fifo > 0;
  }

  ready(): boolean {
    if (this.feed.kind === 'window' && this.feed.fifo > 0) return this.queued < this.feed.fifo;
    return this.feedReady();
  }

  private advance(downReady: boolean): boolean {
    return !this.blocked(downReady);
  }

  step(inFire: boolean, downReady: boolean): void {
    const advance = this.advance(downReady);
    const issue = this.banks.avail() && advance;
    const release = issue && this.cnt === this.n - 1;
    // The queue hands its oldest pixel to the sliding-window unit when it takes one.
    let feedFire = inFire;
    if (this.hasFifo()) {
      feedFire = this.queued > 0 && this.feedReady();
      this.queued += (inFire ? 1 : 0) - (feedFire ? 1 : 0);
    }
    // feed: write side
    const f = this.feed;
    if (f.kind === 'beats') {
      if (feedFire) {
        this.beat++;
        if (this.beat === f.beats) {
          this.beat = 0;
          this.banks.write();
        }
      }
    } else {
      // A column into the window banks: the intake's own (no queue) or the queue's oldest.
      const push = feedFire && this.inCols();
      const pop = f.queue > 0 ? this.columnMoves() : push;
      if (pop) {
        if (this.completes()) this.banks.write();
        if (f.queue > 0) this.wcol = this.wcol === f.width - 1 ? 0 : this.wcol + 1;
      }
      if (f.queue > 0) this.columns += (push ? 1 : 0) - (pop ? 1 : 0);
      if (feedFire) {
        this.col++;
        if (this.col === f.width) {
          this.col = 0;
          this.row = this.row === f.height - 1 ? 0 : this.row + 1;
        }
      }
    }
    if (release) this.banks.release();
    // output registers: a finished vector in, the head out to a ready consumer
    const pop = this.outQ > 0 && downReady;
    this.outQ += (advance && this.done() ? 1 : 0) - (pop ? 1 : 0);
    // pipeline
    if (advance) {
      const v = this.vlast;
      if (v[v.length - 1]) this.inFlight--;
      for (let i = v.length - 1; i > 0; i--) v[i] = v[i - 1];
      v[0] = release;
      if (release) this.inFlight++;
      this.p1v = issue;
    }
    if (issue) this.cnt = release ? 0 : this.cnt + 1;
  }

  quiet(downReady: boolean): number {
    if (this.hasFifo() && this.queued > 0 && this.feedReady()) return 0; // the queue moves a pixel
    if (this.columnMoves()) return 0; // the column queue moves a column
    if (this.blocked(downReady) && !downReady) return Infinity; // stalled until the consumer moves
    if (!this.banks.avail() && !this.p1v && this.inFlight === 0) return Infinity; // idle
    if (this.banks.avail() && this.p1v && this.inFlight === 0 && this.cnt < this.n - 1) return this.n - 1 - this.cnt;
    return 0;
  }

  skip(n: number): void {
    // Only called in the counting state of quiet(): issues continue, nothing else moves.
    if (this.banks.avail() && this.p1v && this.inFlight === 0) this.cnt += n;
  }
}

/** bnnc_pool.v's control. */
class PoolUnit implements Unit {
  private col = 0;
  private row = 0;
  private outValid = false;

  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly size: number,
  ) {}

  private emits(): boolean {
    const s = this.size;
    const ow = Math.floor(this.width / s);
    const oh = Math.floor(this.height / s);
    return this.col < ow * s && this.row < oh * s && this.col % s === s - 1 && this.row % s === s - 1;
  }

  valid(): boolean {
    return this.outValid;
  }

  ready(downReady: boolean): boolean {
    return !(this.emits() && this.outValid && !downReady);
  }

  step(inFire: boolean, downReady: boolean): void {
    if (inFire && this.emits()) this.outValid = true;
    else if (downReady) this.outValid = false;
    if (inFire) {
      this.col++;
      if (this.col === this.width) {
        this.col = 0;
        this.row = this.row === this.height - 1 ? 0 : this.row + 1;
      }
    }
  }

  quiet(): number {
    return Infinity;
  }

  skip(): void {}
}

export type UnitModel =
  | { kind: 'mvtu'; feed: FeedModel; reads: number; depth: number; beatsPerFrame: number; skid?: boolean }
  | { kind: 'pool'; width: number; height: number; size: number; beatsPerFrame: number };

export interface SimulatedCycles {
  /** Edge at which each frame's first beat was accepted (the first is edge 0). */
  inEdge: number[];
  /** Edge at which each frame's result was accepted. */
  outEdge: number[];
  /** Per unit: the edge at which it handed on frame 0's last output beat. */
  lastOut0: number[];
  /** The edge at which the source handed in frame 0's last beat. */
  inLast0: number;
}

/**
 * Simulate `frames` frames entering back to back (s_axis_tvalid always high) with
 * m_axis_tready always high. `beats` = s_axis beats per frame.
 */
export function simulateCycles(beats: number, units: UnitModel[], frames: number): SimulatedCycles {
  const blocks: Unit[] = units.map((u) => (u.kind === 'mvtu' ? new MvtuUnit(u.feed, u.reads, u.depth, u.skid ?? false) : new PoolUnit(u.width, u.height, u.size)));
  const n = blocks.length;
  const total = beats * frames;
  let sent = 0;
  const inEdge: number[] = [];
  const outEdge: number[] = [];
  const outCount = new Array<number>(n).fill(0);
  const lastOut0 = new Array<number>(n).fill(-1);
  let inLast0 = -1;
  const ready = new Array<boolean>(n + 1);
  const fire = new Array<boolean>(n + 1);
  let t = 0;
  let steps = 0;
  while (outEdge.length < frames) {
    ready[n] = true;
    for (let i = n - 1; i >= 0; i--) ready[i] = blocks[i].ready(ready[i + 1]);
    // fire[i]: the beat into block i (i = n: into the sink)
    fire[0] = sent < total && ready[0];
    let any = fire[0];
    for (let i = 0; i < n; i++) {
      fire[i + 1] = blocks[i].valid() && ready[i + 1];
      any ||= fire[i + 1];
    }
    if (!any) {
      let q = Infinity;
      for (let i = 0; i < n; i++) q = Math.min(q, blocks[i].quiet(ready[i + 1]));
      if (q === Infinity) throw new Error(`cycle model: the pipeline deadlocked at edge ${t}`);
      if (q > 0) {
        for (const b of blocks) b.skip(q);
        t += q;
        continue;
      }
    }
    if (fire[0]) {
      if (sent % beats === 0) inEdge.push(t);
      if (sent === beats - 1) inLast0 = t;
      sent++;
    }
    for (let i = 0; i < n; i++) {
      if (fire[i + 1]) {
        outCount[i]++;
        if (outCount[i] === units[i].beatsPerFrame) lastOut0[i] = t;
      }
    }
    if (fire[n]) outEdge.push(t);
    for (let i = 0; i < n; i++) blocks[i].step(fire[i], ready[i + 1], fire[i + 1]);
    t++;
    if (++steps > 4e8) throw new BnncError('cycle model: more than 4e8 simulation steps; the design is too slow to plan');
  }
  return { inEdge, outEdge, lastOut0, inLast0 };
}

export interface StreamCycles {
  ii: number;
  latency: number;
  /**
   * Per unit: cycles from the first input beat of a frame entering an empty pipeline to
   * the edge at which the unit hands on its last beat of that frame.
   */
  done: number[];
  /** Intervals between consecutive results of the simulated frames. */
  intervals: number[];
}

/** Frames simulated to find the steady state. */
export const CYCLE_MODEL_FRAMES = 6;

/**
 * Network figures of a streaming design: latency of a frame entering an empty pipeline,
 * II = the interval between results once the pipeline is in its steady state (the
 * intervals of the last simulated frames, which must agree).
 */
export function streamCycles(beats: number, units: UnitModel[]): StreamCycles {
  const r = simulateCycles(beats, units, CYCLE_MODEL_FRAMES);
  const intervals = r.outEdge.slice(1).map((e, i) => e - r.outEdge[i]);
  const tail = intervals.slice(-3);
  if (!tail.every((d) => d === tail[0])) {
    throw new Error(`cycle model: no steady state after ${CYCLE_MODEL_FRAMES} frames (intervals ${intervals.join(', ')})`);
  }
  return { ii: tail[0], latency: r.outEdge[0] - r.inEdge[0], done: r.lastOut0.map((e) => e - r.inEdge[0]), intervals };
}
