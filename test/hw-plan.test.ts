/**
 * The planner and the cycle model against hand-worked cases (FINN's II = NF*SF per
 * vector), the folding-file validation, and the targetCycles search against brute force.
 */
import { describe, expect, it } from 'vitest';
import { BnncError, InputError } from '../src/errors.js';
import { folds, inputBeats, mvtuII, networkCycles, MVTU_OVERHEAD } from '../src/hw/cycles.js';
import { cheapestFolding, paddingOf, parseFoldingJson } from '../src/hw/folding.js';
import { mvtuStages, planHardware, unitModelsOf } from '../src/hw/plan.js';
import { streamCycles } from '../src/hw/timing.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import { accBits, addrBits, clampThreshold, mulBits, scoreBits, signedBits, unsignedBits } from '../src/hw/widths.js';
import { Rng } from '../src/util/rng.js';
import type { FoldedMatrixLayer, FoldedModel } from '../src/int/types.js';

const tfc = () => randomFoldedMlp({ input: [28, 28, 1], hidden: [64, 64, 64], classes: 10, seed: 1, name: 'tfc' });

describe('cycle model', () => {
  it('folds and II as in FINN (NF*SF per vector), padding when sizes do not divide', () => {
    // FINN tfc layer 0 folding: MH 64, MW 784, PE 16, SIMD 49.
    expect(folds(64, 784, 16, 49)).toEqual({ nf: 4, sf: 16 });
    expect(mvtuII(4, 16)).toBe(64);
    // 10 x 64 on PE 3, SIMD 5: NF = ceil(10/3) = 4, SF = ceil(64/5) = 13.
    expect(folds(10, 64, 3, 5)).toEqual({ nf: 4, sf: 13 });
    expect(mvtuII(4, 13)).toBe(52);
    expect(inputBeats(784, 49)).toBe(16);
    expect(inputBeats(784, 5)).toBe(157);
  });

  it('network II is the slowest stage; latency = beats-1 + sum(II + 3)', () => {
    expect(MVTU_OVERHEAD).toBe(3);
    const c = networkCycles(16, [
      { nf: 4, sf: 16 },
      { nf: 2, sf: 8 },
      { nf: 1, sf: 4 },
    ]);
    expect(c).toEqual({ ii: 64, latency: 15 + 67 + 19 + 7, bottleneck: 0 });
    // The input stage can be the bottleneck.
    expect(networkCycles(100, [{ nf: 1, sf: 5 }])).toEqual({ ii: 100, latency: 99 + 8, bottleneck: -1 });
    // Ties go to the earliest stage.
    expect(networkCycles(2, [{ nf: 2, sf: 3 }, { nf: 3, sf: 2 }]).bottleneck).toBe(0);
  });
});

describe('widths', () => {
  it('counts bits exactly', () => {
    expect(unsignedBits(0)).toBe(1);
    expect(unsignedBits(1)).toBe(1);
    expect(unsignedBits(2)).toBe(2);
    expect(unsignedBits(255)).toBe(8);
    expect(unsignedBits(256)).toBe(9);
    expect(addrBits(1)).toBe(1);
    expect(addrBits(2)).toBe(1);
    expect(addrBits(3)).toBe(2);
    expect(addrBits(1024)).toBe(10);
    expect(addrBits(1025)).toBe(11);
    expect(signedBits(-128, 127)).toBe(8);
    expect(signedBits(-129, 0)).toBe(9);
    expect(signedBits(0, 128)).toBe(9);
    expect(signedBits(0, 0)).toBe(2);
    // bits: acc in 0..MW and thresholds up to MW+1; 64 inputs -> 0..65 -> 7 bits.
    expect(accBits('bits', 64)).toBe(7);
    expect(accBits('bits', 62)).toBe(6);
    // pixels: -255*784..255*784+1 = -199920..199921 -> 19 bits signed.
    expect(accBits('pixels', 784)).toBe(19);
    expect(mulBits(Int32Array.from([-3, 5]))).toBe(4);
  });

  it('holds every score of a scores layer in scoreBits, and no fewer bits would', () => {
    // bits, 64 inputs: acc 0..64; 3*64 - 100 = 92 and -2*64 + 7 = -121 -> -121..92: 8 bits.
    expect(scoreBits(Int32Array.from([3, -2]), Int32Array.from([-100, 7]), 'bits', 64)).toBe(8);
    // 127 is the top of 8 bits, 128 needs 9.
    expect(scoreBits(Int32Array.from([1]), Int32Array.from([63]), 'bits', 64)).toBe(8);
    expect(scoreBits(Int32Array.from([1]), Int32Array.from([64]), 'bits', 64)).toBe(9);
    // pixels: acc -255*2..255*2.
    expect(scoreBits(Int32Array.from([1]), Int32Array.from([0]), 'pixels', 2)).toBe(signedBits(-510, 510));
    // never above the 32 bits of a result beat
    expect(scoreBits(Int32Array.from([1 << 22]), Int32Array.from([0]), 'bits', 1000)).toBe(32);
    // against every score, on random layers
    const rng = new Rng(3);
    for (let t = 0; t < 50; t++) {
      const n = 1 + rng.int(6);
      const mw = 1 + rng.int(300);
      const mul = Int32Array.from({ length: n }, () => rng.int(41) - 20);
      const add = Int32Array.from({ length: n }, () => rng.int(200001) - 100000);
      const w = scoreBits(mul, add, 'bits', mw);
      let lo = 0;
      let hi = 0;
      for (let r = 0; r < n; r++) {
        for (let acc = 0; acc <= mw; acc++) {
          lo = Math.min(lo, mul[r] * acc + add[r]);
          hi = Math.max(hi, mul[r] * acc + add[r]);
        }
      }
      expect(lo).toBeGreaterThanOrEqual(-(2 ** (w - 1)));
      expect(hi).toBeLessThanOrEqual(2 ** (w - 1) - 1);
      expect(lo < -(2 ** (w - 2)) || hi > 2 ** (w - 2) - 1 || w === 2).toBe(true);
    }
  });

  it('clamps thresholds into the accumulator range plus one without changing decisions', () => {
    expect(clampThreshold(-7, 'bits', 10)).toBe(0);
    expect(clampThreshold(99, 'bits', 10)).toBe(11);
    expect(clampThreshold(5, 'bits', 10)).toBe(5);
    expect(clampThreshold(-1e6, 'pixels', 2)).toBe(-510);
    expect(clampThreshold(1e6, 'pixels', 2)).toBe(511);
    for (const t of [-3, 0, 4, 10, 11, 12, 40]) {
      for (let acc = 0; acc <= 10; acc++) expect(acc >= clampThreshold(t, 'bits', 10)).toBe(acc >= t);
    }
  });
});

describe('planHardware', () => {
  it('uniform folding is clamped per layer to MH and MW', () => {
    const plan = planHardware(tfc(), { kind: 'uniform', pe: 32, simd: 1000 });
    expect(mvtuStages(plan).map((s) => [s.pe, s.simd, s.nf, s.sf, s.ii])).toEqual([
      [32, 784, 2, 1, 2],
      [32, 64, 2, 1, 2],
      [32, 64, 2, 1, 2],
      [10, 64, 1, 1, 1],
    ]);
    expect(plan.input).toMatchObject({ npix: 784, inPix: 784, beats: 1, ii: 1, ram: true });
    expect(plan.ii).toBe(2);
    expect(plan.latency).toBe(0 + 5 + 5 + 5 + 4);
  });

  it('fully folded tfc: hand-worked figures', () => {
    const plan = planHardware(tfc(), { kind: 'uniform', pe: 1, simd: 1 });
    const s = mvtuStages(plan);
    expect(s.map((x) => x.ii)).toEqual([64 * 784, 64 * 64, 64 * 64, 10 * 64]);
    expect(plan.ii).toBe(50176);
    expect(plan.input.beats).toBe(784);
    expect(plan.latency).toBe(783 + 50179 + 4099 + 4099 + 643);
    expect(plan.bottleneck).toBe(0);
    expect(s[0]).toMatchObject({ input: 'pixels', output: 'threshold', accWidth: 19, paramWidth: 19, weightBits: 50176, paramBits: 64 * 19 });
    expect(s[3]).toMatchObject({ input: 'bits', output: 'scores', accWidth: 7 });
    expect(s[3].paramWidth).toBe(s[3].mulWidth + 32);
    expect(s[1].bufferBits).toBe(128);
    expect(plan.estimate.isEstimate).toBe(true);
    expect(plan.estimate.romBits).toBe(s.reduce((a, x) => a + x.weightBits + x.paramBits, 0));
  });

  it('pipeline levels and a bit-serial first layer: hand-worked tfc figures; bad levels named', () => {
    const p2 = planHardware(tfc(), { kind: 'uniform', pe: 1, simd: 1 }, { pipeline: 2 });
    expect(mvtuStages(p2).map((x) => x.pipelineCycles)).toEqual([3, 3, 3, 6]);
    expect(p2.ii).toBe(50176);
    expect(p2.latency).toBe(783 + 50179 + 4099 + 4099 + 643 + 15);
    const p1 = planHardware(tfc(), { kind: 'uniform', pe: 1, simd: 1 }, { pipeline: 1 });
    expect(p1.latency).toBe(783 + 50179 + 4099 + 4099 + 643 + 6);
    const serial = planHardware(tfc(), { kind: 'uniform', pe: 1, simd: 8 }, { bitSerial: true });
    expect(mvtuStages(serial).map((x) => [x.planes, x.ii])).toEqual([[8, 8 * 64 * 98], [1, 64 * 8], [1, 64 * 8], [1, 10 * 8]]);
    expect(serial.ii).toBe(8 * 6272);
    // --target-cycles charges the bit-serial layer 8 cycles per read
    const t = planHardware(tfc(), { kind: 'target', targetCycles: 6272 }, { bitSerial: true });
    expect(mvtuStages(t)[0].ii).toBeLessThanOrEqual(6272);
    // level 3 (skid output registers, threshold from the accumulator's start): level 2's
    // cycles, but for the 8-bit pixel layer's sum in three registered steps (one more)
    const p3 = planHardware(tfc(), { kind: 'uniform', pe: 1, simd: 1 }, { pipeline: 3 });
    expect(mvtuStages(p3).map((x) => x.pipelineCycles)).toEqual([4, 3, 3, 6]);
    expect([p3.ii, p3.latency]).toEqual([p2.ii, p2.latency + 1]);
    // a bit-serial pixel layer keeps level 2's cycles
    const s3 = planHardware(tfc(), { kind: 'uniform', pe: 1, simd: 8 }, { pipeline: 3, bitSerial: true });
    expect(mvtuStages(s3).map((x) => x.pipelineCycles)).toEqual([3, 3, 3, 6]);
    expect(() => planHardware(tfc(), { kind: 'uniform', pe: 1, simd: 1 }, { pipeline: 4 as 2 })).toThrow(/pipeline/);
  });

  it('per-layer folding with sizes that do not divide; inPix option', () => {
    const plan = planHardware(
      tfc(),
      { kind: 'perLayer', layers: [{ pe: 16, simd: 49 }, { pe: 7, simd: 9 }, { pe: 64, simd: 64 }, { pe: 3, simd: 5 }], source: 'f.json' },
      { inPix: 8 },
    );
    expect(mvtuStages(plan).map((s) => [s.nf, s.sf, s.ii])).toEqual([
      [4, 16, 64],
      [10, 8, 80],
      [1, 1, 1],
      [4, 13, 52],
    ]);
    expect(plan.input).toMatchObject({ inPix: 8, beats: 98, ram: false });
    expect(plan.ii).toBe(98);
    expect(plan.bottleneck).toBe(-1);
    expect(plan.latency).toBe(97 + 67 + 83 + 4 + 55);
  });

  it('rejects per-layer foldings that do not fit the model, naming the field', () => {
    const f = tfc();
    const spec = (layers: { pe: number; simd: number }[], names?: string[]) =>
      ({ kind: 'perLayer', layers, names, source: 'fold.json' }) as const;
    expect(() => planHardware(f, spec([{ pe: 1, simd: 1 }]))).toThrow(/fold.json: layers: expected 4 entries/);
    const four = [{ pe: 1, simd: 1 }, { pe: 65, simd: 1 }, { pe: 1, simd: 1 }, { pe: 1, simd: 1 }];
    expect(() => planHardware(f, spec(four))).toThrow(InputError);
    expect(() => planHardware(f, spec(four))).toThrow(/layers\[1\]\.pe: expected an integer in 1\.\.64/);
    const simd = [{ pe: 1, simd: 785 }, { pe: 1, simd: 1 }, { pe: 1, simd: 1 }, { pe: 1, simd: 1 }];
    expect(() => planHardware(f, spec(simd))).toThrow(/layers\[0\]\.simd: expected an integer in 1\.\.784/);
    const ok = [{ pe: 1, simd: 1 }, { pe: 1, simd: 1 }, { pe: 1, simd: 1 }, { pe: 1, simd: 1 }];
    expect(() => planHardware(f, spec(ok, ['fc1', 'fc2', 'oops', 'fc4']))).toThrow(/layers\[2\]\.name: expected "fc3", got "oops"/);
    expect(() => planHardware(f, { kind: 'uniform', pe: 0, simd: 1 })).toThrow(InputError);
    expect(() => planHardware(f, { kind: 'uniform', pe: 1, simd: 1 }, { inPix: 785 })).toThrow(/inPix/);
  });

  it('rejects models the RTL does not implement', () => {
    const f = tfc();
    const first = f.layers[0] as FoldedMatrixLayer;
    const conv: FoldedModel = { ...f, layers: [{ ...first, kind: 'conv' }, ...f.layers.slice(1)] };
    expect(() => planHardware(conv, { kind: 'uniform', pe: 1, simd: 1 })).toThrow(BnncError);
    const noScores = { ...f, layers: f.layers.slice(0, 3) };
    expect(() => planHardware(noScores, { kind: 'uniform', pe: 1, simd: 1 })).toThrow(/output: expected scores/);
  });
});

describe('folding files', () => {
  it('parses a valid file', () => {
    const r = parseFoldingJson('{"layers":[{"pe":2,"simd":3,"name":"fc1"},{"pe":1,"simd":4}],"inPix":3}', 'f.json');
    expect(r.spec.layers).toEqual([{ pe: 2, simd: 3 }, { pe: 1, simd: 4 }]);
    expect(r.spec.names).toEqual(['fc1', undefined]);
    expect(r.inPix).toBe(3);
  });

  it('rejects malformed files with the field named', () => {
    const bad: [string, RegExp][] = [
      ['{', /f\.json: \(file\): expected JSON/],
      ['[]', /\(top level\)/],
      ['{"layers":[]}', /layers: expected a non-empty array/],
      ['{"layers":[{"pe":2}]}', /layers\[0\]\.simd: expected a positive integer/],
      ['{"layers":[{"pe":2.5,"simd":1}]}', /layers\[0\]\.pe: expected a positive integer, got 2.5/],
      ['{"layers":[{"pe":"2","simd":1}]}', /layers\[0\]\.pe/],
      ['{"layers":[{"pe":2,"simd":1,"x":1}]}', /layers\[0\]\.x/],
      ['{"layers":[{"pe":2,"simd":1}],"pes":4}', /pes: expected only "layers", "inPix" and "bitSerial"/],
      ['{"layers":[{"pe":2,"simd":1}],"bitSerial":1}', /bitSerial: expected true or false/],
      ['{"layers":[{"pe":2,"simd":1}],"inPix":0}', /inPix: expected a positive integer/],
    ];
    for (const [text, re] of bad) expect(() => parseFoldingJson(text, 'f.json'), text).toThrow(re);
    expect(() => parseFoldingJson('{', 'f.json')).toThrow(InputError);
  });
});

describe('targetCycles', () => {
  it('picks the cheapest folding: hand-worked 64 x 784 at 100 cycles', () => {
    // Cost 512 lanes is the least reachable: PE 16/SIMD 32 (padding 1024), PE 32/SIMD 16
    // and PE 64/SIMD 8 (no padding); fewer PEs wins the last tie.
    expect(cheapestFolding(64, 784, 100)).toEqual({ pe: 32, simd: 16 });
    expect(cheapestFolding(64, 784, 1)).toEqual({ pe: 64, simd: 784 });
    expect(cheapestFolding(64, 784, 64 * 784)).toEqual({ pe: 1, simd: 1 });
    expect(cheapestFolding(64, 784, 0)).toBeNull();
  });

  it('agrees with brute force on random layers and targets', () => {
    const rng = new Rng(42);
    for (let trial = 0; trial < 60; trial++) {
      const mh = 1 + rng.int(40);
      const mw = 1 + rng.int(60);
      const target = 1 + rng.int(mh * mw);
      let best: { pe: number; simd: number } | null = null;
      for (let pe = 1; pe <= mh; pe++) {
        for (let simd = 1; simd <= mw; simd++) {
          const { nf, sf } = folds(mh, mw, pe, simd);
          if (nf * sf > target) continue;
          const key = (f: { pe: number; simd: number }) => [f.pe * f.simd, paddingOf(mh, mw, f), f.pe];
          if (!best) best = { pe, simd };
          else {
            const a = key({ pe, simd });
            const b = key(best);
            if (a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))) best = { pe, simd };
          }
        }
      }
      expect(cheapestFolding(mh, mw, target), `${mh}x${mw} @ ${target}`).toEqual(best);
    }
  });

  it('plans every stage within the target and names the layer when unreachable', () => {
    const plan = planHardware(tfc(), { kind: 'target', targetCycles: 100 });
    for (const s of mvtuStages(plan)) expect(s.ii).toBeLessThanOrEqual(100);
    expect(plan.ii).toBeLessThanOrEqual(100);
    expect(mvtuStages(plan)[0]).toMatchObject({ pe: 32, simd: 16 });
    expect(() => planHardware(tfc(), { kind: 'target', targetCycles: 0 })).toThrow(/unreachable for layers\[0\] \(fc1\)/);
    expect(() => planHardware(tfc(), { kind: 'target', targetCycles: 50 }, { inPix: 8 })).toThrow(/unreachable for the input stage/);
  });
});

describe('the cycle simulation (src/hw/timing.ts) on MLPs', () => {
  it('gives the closed formulas of src/hw/cycles.ts for random MLPs and foldings', () => {
    const rng = new Rng(4242);
    for (let i = 0; i < 40; i++) {
      const input: [number, number, number] = [2 + rng.int(6), 2 + rng.int(6), 1 + rng.int(3)];
      const hidden = Array.from({ length: rng.int(4) }, () => 1 + rng.int(30));
      const classes = 2 + rng.int(8);
      const f = randomFoldedMlp({ input, hidden, classes, seed: i });
      const sizes = [input[0] * input[1] * input[2], ...hidden, classes];
      const folding = { kind: 'perLayer' as const, source: 't', layers: sizes.slice(1).map((mh, k) => ({ pe: 1 + rng.int(mh), simd: 1 + rng.int(sizes[k]) })) };
      const inPix = rng.int(2) ? undefined : 1 + rng.int(sizes[0]);
      const plan = planHardware(f, folding, { inPix });
      const sim = streamCycles(plan.input.beats, unitModelsOf(plan));
      expect(sim.ii, `case ${i} II`).toBe(plan.ii);
      expect(sim.latency, `case ${i} latency`).toBe(plan.latency);
      expect(sim.done, `case ${i} per-stage done`).toEqual(plan.stages.map((s) => s.done));
    }
  });
});
