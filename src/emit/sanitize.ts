/**
 * Names from a model become Verilog identifiers (module names, file names). A model
 * name is user data: it may hold spaces, punctuation, keywords, path separators or
 * outright Verilog ("a; endmodule"). Every name that reaches a template goes through
 * here and comes out as [A-Za-z_][A-Za-z0-9_]*, not a Verilog or SystemVerilog keyword,
 * not in the `bnnc_` namespace of the shared building blocks, bounded in length, and
 * unique (case-insensitively, since the names also become file names).
 */

/** IEEE 1364-2005 and IEEE 1800-2017 reserved words (a superset is harmless). */
const KEYWORDS = new Set(
  `accept_on alias always always_comb always_ff always_latch and assert assign assume automatic
before begin bind bins binsof bit break buf bufif0 bufif1 byte case casex casez cell chandle
checker class clocking cmos config const constraint context continue cover covergroup coverpoint
cross deassign default defparam design disable dist do edge else end endcase endchecker endclass
endclocking endconfig endfunction endgenerate endgroup endinterface endmodule endpackage
endprimitive endprogram endproperty endspecify endsequence endtable endtask enum event eventually
expect export extends extern final first_match for force foreach forever fork forkjoin function
generate genvar global highz0 highz1 if iff ifnone ignore_bins illegal_bins implements implies
import incdir include initial inout input inside instance int integer interconnect interface
intersect join join_any join_none large let liblist library local localparam logic longint
macromodule matches medium modport module nand negedge nettype new nexttime nmos nor
noshowcancelled not notif0 notif1 null or output package packed parameter pmos posedge primitive
priority program property protected pull0 pull1 pulldown pullup pulsestyle_ondetect
pulsestyle_onevent pure rand randc randcase randsequence rcmos real realtime ref reg reject_on
release repeat restrict return rnmos rpmos rtran rtranif0 rtranif1 s_always s_eventually
s_nexttime s_until s_until_with scalared sequence shortint shortreal showcancelled signed small
soft solve specify specparam static string strong strong0 strong1 struct super supply0 supply1
sync_accept_on sync_reject_on table tagged task this throughout time timeprecision timeunit tran
tranif0 tranif1 tri tri0 tri1 triand trior trireg type typedef union unique unique0 unsigned until
until_with untyped use uwire var vectored virtual void wait wait_order wand weak weak0 weak1 while
wildcard wire with within wor xnor xor`.split(/\s+/),
);

export const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isVerilogKeyword(s: string): boolean {
  return KEYWORDS.has(s);
}

/** A legal, non-reserved identifier (what templates may receive). */
export function isSafeIdentifier(s: string): boolean {
  return IDENTIFIER_RE.test(s) && !KEYWORDS.has(s) && !s.startsWith('$');
}

/**
 * One name made legal: illegal characters become '_', runs of '_' collapse, a leading
 * digit gets a prefix, keywords and the reserved `bnnc_` prefix get one too, and the
 * result is cut to maxLen characters. `fallback` names the nameless.
 */
export function sanitizeIdentifier(raw: string, maxLen = 32, fallback = 'net'): string {
  let s = raw.replace(/[^A-Za-z0-9_]+/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
  if (s === '') s = fallback;
  if (/^[0-9]/.test(s)) s = `${fallback}_${s}`;
  if (/^bnnc_/i.test(s) || /^bnnc$/i.test(s)) s = `${fallback}_${s}`;
  s = s.slice(0, maxLen).replace(/_+$/, '');
  if (s === '') s = fallback;
  if (KEYWORDS.has(s)) s = `${s.slice(0, maxLen - 1)}_`;
  return s;
}

/** Hands out sanitized identifiers, unique among themselves ignoring case. */
export class UniqueNames {
  private readonly taken = new Set<string>();

  constructor(
    private readonly maxLen = 32,
    private readonly fallback = 'net',
    reserved: Iterable<string> = [],
  ) {
    for (const r of reserved) this.taken.add(r.toLowerCase());
  }

  take(raw: string): string {
    const base = sanitizeIdentifier(raw, this.maxLen, this.fallback);
    let name = base;
    for (let n = 2; this.taken.has(name.toLowerCase()); n++) {
      const suffix = `_${n}`;
      name = `${base.slice(0, this.maxLen - suffix.length)}${suffix}`;
    }
    this.taken.add(name.toLowerCase());
    return name;
  }
}

/**
 * The output directory is the user's; generated file names must stay inside it. They
 * are built from sanitized identifiers, so this can only fail on a bug; checked anyway.
 */
export function assertPlainFileName(name: string): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name.includes('..')) {
    throw new Error(`internal error: generated file name ${JSON.stringify(name)} is not a plain file name`);
  }
}
