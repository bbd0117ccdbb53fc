/**
 * Reading what Yosys wrote: `stat -json` (per module cell counts), the top module's
 * netlist (instance name -> module) and the `select -list` files. From them: resources
 * per module, summed through the hierarchy, and grouped into rows by the top level's
 * instance names (u_input, u_l<k>_*; docs/synthesis.md).
 */
import { InputError } from '../errors.js';
import type { Target } from './targets.js';

/** One row of figures. Units per target in docs/synthesis.md. */
export interface Resources {
  /** LUTs: xc7 LUT1..LUT6 cells, iCE40 SB_LUT4, ECP5 LUT4 (CCU2C carries hold 2 more each). */
  luts: number;
  /** Flip-flops. */
  ffs: number;
  /** Carry cells: xc7 CARRY4, iCE40 SB_CARRY, ECP5 CCU2C. */
  carries: number;
  /** LUT-RAM cells: xc7 RAM32M/RAM64M/RAMxxXn/SRL*, ECP5 TRELLIS_DPR16X4. */
  lutram: number;
  /** Block RAMs: xc7 RAMB36 equivalents (RAMB18 = 0.5), iCE40 SB_RAM40_4K, ECP5 DP16KD. */
  bram: number;
  /** Multipliers: xc7 DSP48E1, iCE40 SB_MAC16, ECP5 MULT18X18D and ALU54B. */
  dsp: number;
  /** generic only: logic as 2-input NAND gates (a NOT counts as one); 0 elsewhere. */
  nand2: number;
  /**
   * Bits of the memories Yosys inferred (before mapping: words x width of every array it
   * recognised, whatever the mapper then makes of it: block RAM, LUT RAM, logic or
   * flip-flops). The same on every target; what the plan's romBits + ramBits count.
   */
  memoryBits: number;
  /** Every cell by type, for the figures above and anything they leave out. */
  cells: Record<string, number>;
}

type Kind = Exclude<keyof Resources, 'cells'> | 'ignore' | 'other';

const XC7_LUTRAM = /^(RAM(16|32|64|128|256)X1[SD]|RAM32M|RAM64M|RAM32M16|SRL16E|SRLC32E|SRLC16E)$/;

/** What one cell of a target counts as, and how many. */
export function classifyCell(target: Target, type: string): { kind: Kind; weight: number } {
  switch (target) {
    case 'xc7':
      if (/^LUT[1-6]$/.test(type)) return { kind: 'luts', weight: 1 };
      if (/^FD[RSCP]E$/.test(type)) return { kind: 'ffs', weight: 1 };
      if (type === 'CARRY4') return { kind: 'carries', weight: 1 };
      if (XC7_LUTRAM.test(type)) return { kind: 'lutram', weight: 1 };
      if (type === 'RAMB36E1') return { kind: 'bram', weight: 1 };
      if (type === 'RAMB18E1') return { kind: 'bram', weight: 0.5 };
      if (type === 'DSP48E1') return { kind: 'dsp', weight: 1 };
      if (/^(IBUF|OBUF|BUFG|IBUFG|INV|BUF|GND|VCC|MUXF[78])$/.test(type)) return { kind: 'ignore', weight: 0 };
      return { kind: 'other', weight: 1 };
    case 'ice40':
      if (type === 'SB_LUT4') return { kind: 'luts', weight: 1 };
      if (/^SB_DFF/.test(type)) return { kind: 'ffs', weight: 1 };
      if (type === 'SB_CARRY') return { kind: 'carries', weight: 1 };
      if (/^SB_RAM40_4K/.test(type)) return { kind: 'bram', weight: 1 };
      if (type === 'SB_MAC16') return { kind: 'dsp', weight: 1 };
      if (/^SB_(IO|GB)/.test(type)) return { kind: 'ignore', weight: 0 };
      return { kind: 'other', weight: 1 };
    case 'ecp5':
      if (type === 'LUT4') return { kind: 'luts', weight: 1 };
      if (type === 'TRELLIS_FF') return { kind: 'ffs', weight: 1 };
      if (type === 'CCU2C') return { kind: 'carries', weight: 1 };
      if (type === 'TRELLIS_DPR16X4') return { kind: 'lutram', weight: 1 };
      if (type === 'DP16KD') return { kind: 'bram', weight: 1 };
      if (type === 'MULT18X18D' || type === 'ALU54B') return { kind: 'dsp', weight: 1 };
      if (/^(PFUMX|L6MUX21|TRELLIS_IO)$/.test(type)) return { kind: 'ignore', weight: 0 };
      return { kind: 'other', weight: 1 };
    case 'generic':
      if (type === '$_NAND_' || type === '$_NOT_') return { kind: 'nand2', weight: 1 };
      if (/^\$_(S?DFF|DFFE|SDFFC?E|ALDFF|DFFSRE?)/.test(type)) return { kind: 'ffs', weight: 1 };
      if (type === '$_BUF_') return { kind: 'ignore', weight: 0 };
      return { kind: 'other', weight: 1 };
  }
}

export function emptyResources(): Resources {
  return { luts: 0, ffs: 0, carries: 0, lutram: 0, bram: 0, dsp: 0, nand2: 0, memoryBits: 0, cells: {} };
}

/** a += b, cells included. */
export function addResources(a: Resources, b: Resources, times = 1): void {
  a.luts += b.luts * times;
  a.ffs += b.ffs * times;
  a.carries += b.carries * times;
  a.lutram += b.lutram * times;
  a.bram += b.bram * times;
  a.dsp += b.dsp * times;
  a.nand2 += b.nand2 * times;
  a.memoryBits += b.memoryBits * times;
  for (const [t, n] of Object.entries(b.cells)) a.cells[t] = (a.cells[t] ?? 0) + n * times;
}

/** Per module: its own cells by type (submodule instances included, by module name). */
export type ModuleCells = Map<string, Record<string, number>>;

/**
 * Parse `stat -json` as Yosys 0.23 writes it: it prints the hierarchy tree (plain text)
 * into the middle of the JSON; those lines are dropped before parsing.
 */
export function parseStatJson(text: string, source: string): ModuleCells {
  return parseStat(text, source).cells;
}

/**
 * Parse `stat -json` taken before memory mapping: per module, its own memory bits
 * (num_memory_bits) and its cells (submodule instances by module name).
 */
export function parseMemoryStat(text: string, source: string): { cells: ModuleCells; bits: Map<string, number> } {
  return parseStat(text, source);
}

function parseStat(text: string, source: string): { cells: ModuleCells; bits: Map<string, number> } {
  const kept = text.split('\n').filter((l) => /^\s*$/.test(l) || /^\s*[{}[\]"]/.test(l));
  let j: unknown;
  try {
    j = JSON.parse(kept.join('\n'));
  } catch (e) {
    throw new InputError(source, 'JSON', 'Yosys `stat -json` output', (e as Error).message);
  }
  const modules = (j as { modules?: unknown }).modules;
  if (typeof modules !== 'object' || modules === null) throw new InputError(source, 'modules', 'an object of module statistics', 'missing');
  const out: ModuleCells = new Map();
  const bits = new Map<string, number>();
  for (const [name, m] of Object.entries(modules as Record<string, unknown>)) {
    const mb = (m as { num_memory_bits?: unknown }).num_memory_bits;
    bits.set(unescape(name), typeof mb === 'number' ? mb : 0);
    const by = (m as { num_cells_by_type?: unknown }).num_cells_by_type;
    if (typeof by !== 'object' || by === null) throw new InputError(source, `modules.${name}.num_cells_by_type`, 'an object', 'missing');
    // Public names carry Yosys' leading backslash here but not in write_json.
    const types: Record<string, number> = {};
    for (const [t, n] of Object.entries(by as Record<string, number>)) types[unescape(t)] = n;
    out.set(unescape(name), types);
  }
  return { cells: out, bits };
}

/** A Yosys identifier without the backslash that marks a public name. */
const unescape = (id: string): string => (id.startsWith('\\') ? id.slice(1) : id);

/** Resources of every module, its submodules' included (memoised through the hierarchy). */
export function moduleTotals(target: Target, cells: ModuleCells): Map<string, Resources> {
  const done = new Map<string, Resources>();
  const visit = (name: string, stack: Set<string>): Resources => {
    const hit = done.get(name);
    if (hit) return hit;
    if (stack.has(name)) throw new InputError('yosys stat', name, 'a module hierarchy without cycles');
    stack.add(name);
    const r = emptyResources();
    for (const [type, n] of Object.entries(cells.get(name) ?? {})) {
      if (cells.has(type)) {
        addResources(r, visit(type, stack), n);
        continue;
      }
      r.cells[type] = (r.cells[type] ?? 0) + n;
      const c = classifyCell(target, type);
      if (c.kind !== 'ignore' && c.kind !== 'other') r[c.kind] += n * c.weight;
    }
    stack.delete(name);
    done.set(name, r);
    return r;
  };
  for (const name of cells.keys()) visit(name, new Set());
  return done;
}

/** The top module's cells (instance name -> type) from its `write_json` netlist. */
export function parseTopCells(text: string, top: string, source: string): Map<string, string> {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new InputError(source, 'JSON', 'a Yosys JSON netlist', (e as Error).message);
  }
  const cells = (j as { modules?: Record<string, { cells?: Record<string, { type?: unknown }> }> }).modules?.[top]?.cells;
  if (cells === undefined) throw new InputError(source, `modules.${top}.cells`, 'the top module\'s cells', 'missing');
  const out = new Map<string, string>();
  for (const [name, c] of Object.entries(cells)) {
    if (typeof c.type !== 'string') throw new InputError(source, `modules.${top}.cells.${name}.type`, 'a string');
    out.set(name, c.type);
  }
  return out;
}

/** The row a top-level instance belongs to (see the file comment). */
export function rowOfInstance(name: string): string {
  if (name === 'u_input') return 'input';
  const m = /^u_l(\d+)_/.exec(name);
  if (m) return `stage ${Number(m[1])}`;
  return 'top';
}

/**
 * Rows of the report: input, stage 0..n-1 (the last holding the argmax), top (the top level's own glue and
 * anything not named by the convention), each with its instances' totals. The rows
 * add up to the design's total.
 */
export function rowsOf(
  target: Target,
  top: string,
  cells: ModuleCells,
  topCells: Map<string, string>,
  board: string | null = null,
): { rows: Map<string, Resources>; total: Resources } {
  const totals = moduleTotals(target, cells);
  const total = totals.get(board ?? top);
  if (!total) throw new InputError('yosys stat', board ?? top, 'statistics of the top module', 'missing');
  const rows = new Map<string, Resources>();
  const glue = ownCells(target, cells, top);
  for (const [inst, type] of topCells) {
    const sub = totals.get(type);
    if (!sub) continue;
    const row = rowOfInstance(inst);
    if (!rows.has(row)) rows.set(row, emptyResources());
    addResources(rows.get(row)!, sub);
  }
  const order = (k: string): number => (k === 'input' ? -1 : k === 'top' ? 1e9 : Number(k.split(' ')[1]));
  const sorted = new Map([...rows.entries()].sort((a, b) => order(a[0]) - order(b[0])));
  if (Object.keys(glue.cells).length > 0) {
    if (sorted.has('top')) addResources(sorted.get('top')!, glue);
    else sorted.set('top', glue);
  }
  // The board wrapper's own cells (its byte packer): the design is its one instance.
  if (board !== null) sorted.set('board', ownCells(target, cells, board));
  return { rows: sorted, total };
}

/** A module's own cells (not its submodule instances), counted from stat. */
function ownCells(target: Target, cells: ModuleCells, module: string): Resources {
  const r = emptyResources();
  for (const [type, n] of Object.entries(cells.get(module) ?? {})) {
    if (cells.has(type)) continue;
    r.cells[type] = (r.cells[type] ?? 0) + n;
    const c = classifyCell(target, type);
    if (c.kind !== 'ignore' && c.kind !== 'other') r[c.kind] += n * c.weight;
  }
  return r;
}

/**
 * Memory bits per row (the rows of rowsOf) from the pre-mapping statistics: each
 * module's own memory bits plus its submodules', grouped by the top level's instances.
 * Module names are those after `hierarchy` (the same derived names the mapped design has).
 */
export function memoryBitsByRow(mem: { cells: ModuleCells; bits: Map<string, number> }, top: string, topCells: Map<string, string>): { rows: Map<string, number>; total: number } {
  const done = new Map<string, number>();
  const visit = (name: string): number => {
    const hit = done.get(name);
    if (hit !== undefined) return hit;
    let b = mem.bits.get(name) ?? 0;
    for (const [type, n] of Object.entries(mem.cells.get(name) ?? {})) if (mem.cells.has(type) && type !== name) b += n * visit(type);
    done.set(name, b);
    return b;
  };
  const rows = new Map<string, number>();
  for (const [inst, type] of topCells) {
    if (!mem.cells.has(type)) continue;
    const row = rowOfInstance(inst);
    rows.set(row, (rows.get(row) ?? 0) + visit(type));
  }
  const own = mem.bits.get(top) ?? 0;
  if (own > 0) rows.set('top', (rows.get('top') ?? 0) + own);
  return { rows, total: visit(top) };
}

/** Names from a `select -list` file (one object per line, "module/name"). */
export function parseSelectList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
