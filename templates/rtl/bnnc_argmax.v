// bnnc_argmax: the class of a scores vector, index of the largest of N signed values
// with ties to the lowest index (the integer model's rule), computed fold by fold as the
// scores MVTU produces them: PE values per fold, NF folds per vector, value p of fold f
// being element f*PE + p. Within a fold a tree of log2(PE) comparator levels (at level
// s the winner of [i, i+s) meets the winner of [i+s, i+2s) and the right one wins only
// if strictly greater); across folds a running best that a fold's winner replaces only
// if strictly greater, since earlier folds hold the lower indices. The padding values of
// the last fold (elements N and up) never win.
//
// `index` is combinational: the class of the folds so far including the one offered
// now, so at the vector's last fold it is the vector's class, ready for the MVTU's
// output register at the same edge. No latency of its own, and one comparator per PE
// instead of a tree over all N values.
//
// PRE = 1 (one value per fold, PE = 1, from a register loaded with next_value at every
// edge with next_en high, and en implying next_en): the running-best loop holds no
// comparator. gt_reg always equals values > run_val_reg: it is recomputed whenever
// either changes, from next_value against the best the register will hold (the value
// being taken now, or the running best).
`default_nettype none

module bnnc_argmax #(
  parameter integer N     = 10,  // values per vector
  parameter integer PE    = 1,   // values per fold
  parameter integer NF    = 10,  // folds per vector; must be ceil(N/PE)
  parameter integer W     = 32,  // bits per value (two's complement)
  parameter integer IDX_W = 4,   // index bits; at least 1 and 2**IDX_W >= N
  parameter integer PRE   = 0    // 1: compare a cycle early (PE = 1; see above)
) (
  input  wire              clk,
  input  wire              rst,     // synchronous, active high: the next fold is a vector's first
  input  wire              en,      // a fold is taken at this edge
  input  wire              next_en,    // PRE: `values` loads next_value at this edge
  input  wire [W-1:0]      next_value, // PRE: what `values` becomes at the next edge with next_en
  input  wire [PE*W-1:0]   values,  // value p of the fold at [p*W +: W]
  output wire [IDX_W-1:0]  index    // argmax of the vector's folds up to this one
);

  generate
    if (N < 1 || PE < 1 || PE > N || NF != (N + PE - 1) / PE || W < 1 || IDX_W < 1 || (1 << IDX_W) < N || (PRE != 0 && (PRE != 1 || PE != 1)))
    begin : g_check
      bnnc_argmax_illegal_parameters_need_nf_and_idx_w_to_fit u_illegal ();
    end
  endgenerate

  // Index of the fold's first value; 0 = a vector's first fold.
  localparam integer       LAST_I    = (NF - 1) * PE;
  localparam integer       LAST_N    = N - LAST_I;  // values of the last fold that count
  localparam integer       PE_I      = PE;
  localparam [IDX_W-1:0]   LAST_BASE = LAST_I[IDX_W-1:0];
  localparam [IDX_W-1:0]   STEP      = PE_I[IDX_W-1:0];

  reg  [IDX_W-1:0] base_reg;
  wire             first = base_reg == {IDX_W{1'b0}};
  wire             last  = base_reg == LAST_BASE;

  always @(posedge clk) begin
    if (rst) begin
      base_reg <= {IDX_W{1'b0}};
    end else if (en) begin
      base_reg <= last ? {IDX_W{1'b0}} : base_reg + STEP;
    end
  end

  // ---- the fold's winner
  reg [PE*W-1:0]     best_val;  // slot i: the best value of the range slot i stands for
  reg [PE*IDX_W-1:0] best_idx;  // slot i: its position in the fold
  reg [PE-1:0]       counts;    // slot i is a value of the vector (not padding)
  integer i, s;

  always @* begin
    best_val = values;
    for (i = 0; i < PE; i = i + 1) begin
      best_idx[i*IDX_W +: IDX_W] = i[IDX_W-1:0];
      counts[i] = !last || i < LAST_N;
    end
    // Padding is a suffix of the last fold, so a right range counts iff its first slot does.
    for (s = 1; s < PE; s = s * 2) begin
      for (i = 0; i + s < PE; i = i + 2 * s) begin
        if (counts[i+s] && $signed(best_val[(i+s)*W +: W]) > $signed(best_val[i*W +: W])) begin
          best_val[i*W +: W]         = best_val[(i+s)*W +: W];
          best_idx[i*IDX_W +: IDX_W] = best_idx[(i+s)*IDX_W +: IDX_W];
        end
      end
    end
  end

  // ---- the running best over the folds
  reg  [W-1:0]     run_val_reg;
  reg  [IDX_W-1:0] run_idx_reg;
  wire [W-1:0]     fold_val = best_val[W-1:0];
  wire [IDX_W-1:0] fold_idx = base_reg + best_idx[IDX_W-1:0];
  wire             gt;
  wire             take     = first || gt;

  always @(posedge clk) begin
    if (en && take) begin
      run_val_reg <= fold_val;
      run_idx_reg <= fold_idx;
    end
  end

  generate
    if (PRE == 1) begin : g_pre
      if (W >= 12) begin : g_split
        // Each comparison as two of half the width, side by side: the signed high halves
        // compared, and equal, and the unsigned low halves compared, each registered
        // (with which of the two comparisons counts); gt combines them after the
        // registers. Two short carry chains, and no combining logic, in the cycle that
        // ends at the registers; the same value gt_reg would hold.
        localparam integer LO = W / 2;
        wire [W-LO-1:0] n_hi = next_value[W-1:LO];
        wire [LO-1:0]   n_lo = next_value[LO-1:0];
        wire [W-LO-1:0] f_hi = fold_val[W-1:LO];
        wire [LO-1:0]   f_lo = fold_val[LO-1:0];
        wire [W-LO-1:0] r_hi = run_val_reg[W-1:LO];
        wire [LO-1:0]   r_lo = run_val_reg[LO-1:0];
        reg sel_reg;                             // the value taken now was the one to beat
        reg hi_gt_s, hi_eq_s, lo_gt_s;           // next_value against the value taken now
        reg hi_gt_r, hi_eq_r, lo_gt_r;           // next_value against the running best
        always @(posedge clk) begin
          if (next_en) begin
            sel_reg <= en && take;
            hi_gt_s <= $signed(n_hi) > $signed(f_hi);
            hi_eq_s <= n_hi == f_hi;
            lo_gt_s <= n_lo > f_lo;
            hi_gt_r <= $signed(n_hi) > $signed(r_hi);
            hi_eq_r <= n_hi == r_hi;
            lo_gt_r <= n_lo > r_lo;
          end
        end
        assign gt = sel_reg ? (hi_gt_s || (hi_eq_s && lo_gt_s)) : (hi_gt_r || (hi_eq_r && lo_gt_r));
      end else begin : g_whole
        reg  gt_reg;
        wire gt_self = $signed(next_value) > $signed(fold_val);     // against the value taken now
        wire gt_run  = $signed(next_value) > $signed(run_val_reg);  // against the running best
        always @(posedge clk) begin
          if (next_en) gt_reg <= (en && take) ? gt_self : gt_run;
        end
        assign gt = gt_reg;
      end
    end else begin : g_compare
      wire unused_next = ^{next_en, next_value};
      assign gt = $signed(fold_val) > $signed(run_val_reg);
    end
  endgenerate

  assign index = take ? fold_idx : run_idx_reg;

endmodule

`default_nettype wire
