/**
 * Which ROMs become block RAM and which become logic (LUTs): bnnc's decision, stated in
 * the plan and the manifest, and honoured in the RTL with a (* rom_style *) attribute
 * on each ROM (templates/rtl/bnnc_rom.v) that Yosys' memory mapper obeys for xc7,
 * iCE40 and ECP5 (docs/synthesis.md). Left to itself Yosys 0.23 decides per target
 * (xc7 and ECP5: at most 64 words become logic; iCE40: even 16-word ROMs take a 4 kbit
 * block), so the same design would use block RAM differently on each part.
 *
 * The rule: a ROM goes to block RAM when it has at least `minDepth` words and at least
 * `minBits` bits; anything smaller is logic, where a block would be mostly empty.
 */
import { InputError } from '../errors.js';

export type RomStyle = 'block' | 'logic';

export interface RomRule {
  /** Fewest words for block RAM. */
  minDepth: number;
  /** Fewest bits (words x width) for block RAM. */
  minBits: number;
}

/**
 * Defaults: 64 words (Yosys' own xc7/ECP5 cut-off) and 2048 bits (half an iCE40
 * SB_RAM40_4K, an eighth of an xc7 RAMB18): a smaller ROM wastes most of a block.
 */
export const DEFAULT_ROM_RULE: RomRule = { minDepth: 64, minBits: 2048 };

/** The style of a ROM of `depth` words of `width` bits under a rule. */
export function romStyle(depth: number, width: number, rule: RomRule): RomStyle {
  return depth >= rule.minDepth && depth * width >= rule.minBits ? 'block' : 'logic';
}

/** A rule from the command line's numbers (defaults for those not given). */
export function romRuleFrom(minDepth: number | undefined, minBits: number | undefined): RomRule {
  const check = (v: number | undefined, flag: string, dflt: number): number => {
    if (v === undefined) return dflt;
    if (!(Number.isSafeInteger(v) && v >= 1)) throw new InputError('command line', flag, 'a positive integer', String(v));
    return v;
  };
  return { minDepth: check(minDepth, '--rom-block-depth', DEFAULT_ROM_RULE.minDepth), minBits: check(minBits, '--rom-block-bits', DEFAULT_ROM_RULE.minBits) };
}

/**
 * The registers of a ROM in logic read in two steps (templates/rtl/bnnc_rom_2step.v,
 * the same arithmetic): the first step's group picks (`groups` words of the ROM's width)
 * and the high address bits it keeps (`hiBits`); its output register is the ROM's own.
 */
export function twoStepRomRegisters(depth: number, addrBits: number): { groups: number; hiBits: number } {
  const loW = Math.min(Math.floor((addrBits + 3) / 2), addrBits - 1);
  return { groups: Math.ceil(depth / 2 ** loW), hiBits: addrBits - loW };
}
