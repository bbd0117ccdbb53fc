// bnnc_pe: one processing element of an MVTU. Each enabled clock it adds the
// contribution of SIMD synapse lanes to its accumulator (restarting at the first
// synapse fold of a neuron); its result is a function of the accumulator and the
// neuron's parameter word:
//   IN_W = 1  lanes = popcount(xnor(x, w))             (activation bits)
//   IN_W = 8  lanes = sum of +p (w = 1) or -p (w = 0)  (unsigned 8-bit pixels)
//             = 2 * (sum of p where w = 1) - (sum of all p); the second sum is the same
//             for every PE, so the MVTU computes it once (x_sum) and each PE adds only
//             unsigned, zero-extended pixels: a narrow adder tree.
//             Bit-serial (PLANES = 8): the same sum over bit plane b only, a popcount,
//             weighted by 2^b: 8 reads of 1-bit lanes instead of one of 8-bit lanes
//             (sum over b of 2^b * (2 * popcount(w & p_b) - popcount(p_b))). The MVTU
//             selects the plane once for all its PEs: x_data is then the SIMD bits p_b.
//   OUT_W = 1   result = acc >= T                      (T = param, ACC_W bits; PIPE = 3:
//               the sign of acc - T, accumulated from -T, see g_start)
//   OUT_W = 32  result = mul*acc + add                 (param = {mul, add})
//
// Pipeline (PIPE, docs/hardware.md): the synapse fold read at issue edge e reaches the
// accumulator at edge e + 1 + PIPE (PIPE = 0, 1) or e + 4 (PIPE = 2):
//   PIPE >= 1  the lanes' sum is registered before the accumulator (lanes_q);
//   PIPE >= 2  the memories' outputs are registered (x_q, w_q; x_q by the feed when
//              X_REG = 0, or, bit-serial, by the MVTU's plane select), and the adder tree is
//              cut in the middle: groups of GROUP lanes are summed and registered
//              (parts_q), then the groups are summed;
// and for scores (OUT_W = 32) with PIPE >= 1 the product mul*acc and then the score are
// registered (PIPE = 2: the product is made of two registered halves, one more
// register), so the result of a neuron follows its last accumulation by 3 (PIPE = 2: 4)
// edges instead of 1. PIPE = 3 is PIPE = 2 but for the threshold (above), a weight word
// the ROM may register twice itself (W_REG = 0), and parallel pixels (IN_W = 8, PLANES = 1),
// whose groups' total is registered before x_sum is subtracted (the accumulator at
// e + 5; g_steps). Every pipeline register advances with en (the MVTU's stall); acc_en and
// first arrive aligned with the accumulator stage, param with the final acc.
// A module of its own so that tools elaborate the datapath once per layer, not once
// per PE.
`default_nettype none

module bnnc_pe #(
  parameter integer SIMD  = 4,  // synapse lanes
  parameter integer IN_W  = 1,  // bits per input element: 1 = activation bit, 8 = unsigned pixel
  parameter integer OUT_W = 1,  // bits of the result: 1 = threshold bit, 32 = signed score
  parameter integer ACC_W = 5,  // accumulator bits (unsigned for IN_W = 1, signed for IN_W = 8)
  parameter integer MUL_W = 2,  // signed score multiplier bits (OUT_W = 32 only)
  parameter integer SCORE_W = 32, // bits that hold every score (OUT_W = 32 only; 2..32)
  parameter integer P_W   = 5,  // parameter word: ACC_W (threshold) or MUL_W+32 ({mul, add})
  parameter integer PIPE  = 0,  // pipeline level 0..3 (see above; 3 is 2 here)
  parameter integer GROUP = 4,  // PIPE = 2: lanes per registered partial sum (1..SIMD); the MVTU's x_sum uses the same
  parameter integer PLANES = 1, // 1 = parallel; 8 = bit-serial pixels (IN_W = 8): one bit plane per read
  parameter integer X_REG = 1,  // PIPE = 2: 1 = register x_data here; 0 = the feed already did (bnnc_vec_buffer RD_REG; bit-serial: the MVTU's plane select)
  parameter integer W_REG = 1   // PIPE = 2: 1 = register w_word here; 0 = the ROM already did (PIPE = 3, bnnc_rom_2step)
) (
  input  wire                 clk,
  input  wire                 en,      // pipeline enable: low while the MVTU stalls

  // one synapse fold, at the issue's registered memory outputs
  input  wire [SIMD*(PLANES == 8 ? 1 : IN_W)-1:0] x_data,  // lane j at [j*IN_W +: IN_W]; bit-serial: bit j is pixel j's plane-b bit
  input  wire [SIMD-1:0]      w_word,  // lane j's weight bit at [j]
  input  wire [ACC_W-1:0]     x_sum,   // IN_W = 8: sum of the fold's SIMD pixels (bit-serial: of their plane-b bits), aligned with the lanes' sum (unused for bits)
  input  wire [2:0]           plane_s, // bit-serial: the plane b of the lanes' sum (its weight 2^b)

  // accumulation, aligned with the accumulator stage
  input  wire                 acc_en,  // add this fold's lanes
  input  wire                 first,   // first fold of a neuron: start from 0

  // the neuron's result
  input  wire [P_W-1:0]       param,   // aligned with the final acc
  output wire [OUT_W-1:0]     result,
  // scores at PIPE >= 1: the value `result` takes at the next edge with en high (the
  // fold-serial argmax compares it a cycle early); else 0
  output wire [OUT_W-1:0]     result_next
);

  // Partial sums: NG groups of GROUP lanes, PART_W bits each (one group unless PIPE = 2).
  localparam integer G      = PIPE >= 2 ? GROUP : SIMD;
  localparam integer NG     = (SIMD + G - 1) / G;
  localparam integer PART_W = (IN_W == 1 || PLANES == 8) ? $clog2(G + 1) : $clog2(255 * G + 1) + (G == 1 ? 1 : 0);

  generate
    if (SIMD < 1 || !(IN_W == 1 || IN_W == 8) || !(OUT_W == 1 || OUT_W == 32) ||
        ACC_W < 2 || ACC_W > 31 || (IN_W == 8 && ACC_W < 10) || (OUT_W == 1 && P_W != ACC_W) ||
        (OUT_W == 32 && (MUL_W < 2 || MUL_W > 31 || P_W != MUL_W + 32)) ||
        PIPE < 0 || PIPE > 3 || GROUP < 1 || GROUP > SIMD || PART_W > ACC_W ||
        !(PLANES == 1 || (PLANES == 8 && IN_W == 8)) || !(X_REG == 1 || (X_REG == 0 && PIPE >= 2 && (IN_W == 1 || PLANES == 8))) ||
        !(W_REG == 1 || (W_REG == 0 && PIPE >= 3)))
    begin : g_check
      bnnc_pe_illegal_parameters_see_the_parameter_comments u_illegal ();
    end
  endgenerate

  wire unused_en = en;  // PIPE = 0: no pipeline register

  // ---- PIPE = 2: the memories' outputs registered first (a deep ROM's output multiplexer
  // and the adder tree are then in different cycles)
  localparam integer X_W = PLANES == 8 ? 1 : IN_W;  // bits per lane of x_data
  wire [SIMD*X_W-1:0]  x_q;
  wire [SIMD-1:0]      w_q;

  generate
    if (PIPE >= 2) begin : g_in_reg
      if (W_REG == 1) begin : g_w_reg
        reg [SIMD-1:0] w_reg;
        always @(posedge clk) begin
          if (en) w_reg <= w_word;
        end
        assign w_q = w_reg;
      end else begin : g_w_fed
        assign w_q = w_word;  // registered twice by the ROM (bnnc_rom_2step), in step with x_q
      end
      if (X_REG == 1) begin : g_x_reg
        reg [SIMD*X_W-1:0] x_reg;
        always @(posedge clk) begin
          if (en) x_reg <= x_data;
        end
        assign x_q = x_reg;
      end else begin : g_x_fed
        assign x_q = x_data;  // registered twice by the feed, in step with w_reg
      end
    end else begin : g_in_comb
      assign x_q = x_data;
      assign w_q = w_word;
    end
  endgenerate

  // ---- the fold's lanes, summed per group: popcount(xnor) or the pixels whose weight is +1
  localparam [PART_W-1:0] PART_ONE = 1;
  reg [NG*PART_W-1:0] parts;
  integer j;

  generate
    if (IN_W == 1) begin : g_xnor
      // written as plain sums so that synthesis builds one adder tree per group
      always @* begin
        parts = {(NG*PART_W){1'b0}};
        for (j = 0; j < SIMD; j = j + 1) begin
          parts[(j/G)*PART_W +: PART_W] = parts[(j/G)*PART_W +: PART_W] +
            ((x_q[j] ~^ w_q[j]) ? PART_ONE : {PART_W{1'b0}});
        end
      end
    end else if (PLANES == 8) begin : g_plane
      always @* begin
        parts = {(NG*PART_W){1'b0}};
        for (j = 0; j < SIMD; j = j + 1) begin
          parts[(j/G)*PART_W +: PART_W] = parts[(j/G)*PART_W +: PART_W] +
            ((x_q[j] && w_q[j]) ? PART_ONE : {PART_W{1'b0}});
        end
      end
    end else begin : g_pixels
      always @* begin
        parts = {(NG*PART_W){1'b0}};
        for (j = 0; j < SIMD; j = j + 1) begin
          parts[(j/G)*PART_W +: PART_W] = parts[(j/G)*PART_W +: PART_W] +
            {{(PART_W-8){1'b0}}, x_q[8*j +: 8] & {8{w_q[j]}}};
        end
      end
    end
  endgenerate

  wire [NG*PART_W-1:0] parts_q;

  generate
    if (PIPE >= 2) begin : g_parts_reg
      reg [NG*PART_W-1:0] parts_reg;
      always @(posedge clk) begin
        if (en) parts_reg <= parts;
      end
      assign parts_q = parts_reg;
    end else begin : g_parts_comb
      assign parts_q = parts;
    end
  endgenerate

  // ---- the fold's contribution to acc
  wire [NG*ACC_W-1:0] parts_x;  // the groups, zero-extended to ACC_W
  genvar gi;

  generate
    for (gi = 0; gi < NG; gi = gi + 1) begin : g_extend
      if (PART_W < ACC_W) begin : g_zero
        assign parts_x[gi*ACC_W +: ACC_W] = {{(ACC_W-PART_W){1'b0}}, parts_q[gi*PART_W +: PART_W]};
      end else begin : g_same
        assign parts_x[gi*ACC_W +: ACC_W] = parts_q[gi*PART_W +: PART_W];
      end
    end
  endgenerate

  reg [ACC_W-1:0] sum;  // the groups' total
  reg [ACC_W-1:0] lanes;
  integer g;

  always @* begin
    sum = {ACC_W{1'b0}};
    for (g = 0; g < NG; g = g + 1) sum = sum + parts_x[g*ACC_W +: ACC_W];
  end

  generate
    if (IN_W == 1) begin : g_count
      wire unused_x_sum = ^{x_sum, plane_s};
      always @* lanes = sum;
    end else if (PLANES == 8) begin : g_plane_sum
      // (2 * popcount(w & p_b) - popcount(p_b)) * 2^b, modulo 2^ACC_W as below
      always @* lanes = ({sum[ACC_W-2:0], 1'b0} - x_sum) << plane_s;
      wire unused_sum_top = sum[ACC_W-1];
    end else begin : g_signed_sum
      // 2 * (sum of the pixels whose weight is +1) - (sum of all pixels), modulo 2^ACC_W:
      // the result lies in acc's range, so the wrap of the doubled sum does no harm.
      // PIPE = 3: the groups' total is registered first (sum_reg; the MVTU registers
      // x_sum in the same step), so that summing the groups and subtracting x_sum are
      // two carry chains in two cycles, not in series in one (one cycle more, src/hw/cycles.ts);
      // and the difference is taken in LANE_W bits and sign-extended: both sums are below
      // 2^SUM_W, the difference lies in -(2^SUM_W - 1) .. 2^SUM_W - 1, so LANE_W = SUM_W + 1
      // bits hold it exactly (LANE_W <= ACC_W: acc holds +-255 per synapse).
      localparam integer SUM_W  = $clog2(255 * SIMD + 1);
      localparam integer LANE_W = SUM_W + 1;
      if (PIPE >= 3) begin : g_steps
        reg  [SUM_W-1:0]  sum_reg;
        wire [LANE_W-1:0] diff = {sum_reg, 1'b0} - x_sum[LANE_W-1:0];
        always @(posedge clk) begin
          if (en) sum_reg <= sum[SUM_W-1:0];
        end
        wire unused_sum_top = ^sum[ACC_W-1:SUM_W];
        if (LANE_W < ACC_W) begin : g_extend
          always @* lanes = {{(ACC_W-LANE_W){diff[LANE_W-1]}}, diff};
          wire unused_x_sum_top = ^x_sum[ACC_W-1:LANE_W];
        end else begin : g_same
          always @* lanes = diff;
        end
      end else begin : g_full
        always @* lanes = {sum[ACC_W-2:0], 1'b0} - x_sum;
        wire unused_sum_top = sum[ACC_W-1];
      end
      wire unused_plane_s = ^plane_s;
    end
  endgenerate

  wire [ACC_W-1:0] lanes_q;

  generate
    if (PIPE >= 1) begin : g_lanes_reg
      reg [ACC_W-1:0] lanes_reg;
      always @(posedge clk) begin
        if (en) lanes_reg <= lanes;
      end
      assign lanes_q = lanes_reg;
    end else begin : g_lanes_comb
      assign lanes_q = lanes;
    end
  endgenerate

  reg [ACC_W-1:0] acc_reg;

  generate
    if (!(OUT_W == 1 && PIPE >= 3)) begin : g_acc
      always @(posedge clk) begin
        if (acc_en) acc_reg <= (first ? {ACC_W{1'b0}} : acc_reg) + lanes_q;
      end
    end
  endgenerate

  generate
    if (OUT_W == 1) begin : g_threshold
      assign result_next = 1'b0;
      if (PIPE >= 3) begin : g_start
        // The threshold as the accumulator's start: acc - T is accumulated in ACC_W + 1
        // bits ({acc_top_reg, acc_reg}, signed) from -T, and acc >= T is its sign bit,
        // a register, not a comparator after the accumulator. param (T) arrives at stage
        // A - 1 of the neuron's first fold (bnnc_mvtu reads it then), -T is registered
        // with the pipeline (start_reg) and taken with the first fold. acc - T lies in
        // -(2^ACC_W - 1) .. 2^ACC_W - 1 (acc and T both in acc's range), so ACC_W + 1
        // bits hold it exactly; lanes_q is the fold's exact sum in ACC_W bits (unsigned
        // for bits, signed for pixels) and is extended so.
        reg             acc_top_reg;
        reg [ACC_W:0]   start_reg;
        wire [ACC_W:0]  lanes_x;
        wire [ACC_W:0]  t_x;
        if (IN_W == 1) begin : g_unsigned_x
          assign lanes_x = {1'b0, lanes_q};
          assign t_x     = {1'b0, param};
        end else begin : g_signed_x
          assign lanes_x = {lanes_q[ACC_W-1], lanes_q};
          assign t_x     = {param[ACC_W-1], param};
        end
        always @(posedge clk) begin
          if (en) start_reg <= {(ACC_W+1){1'b0}} - t_x;
          if (acc_en) {acc_top_reg, acc_reg} <= (first ? start_reg : {acc_top_reg, acc_reg}) + lanes_x;
        end
        assign result = !acc_top_reg;
      end else if (IN_W == 1) begin : g_unsigned
        assign result = acc_reg >= param;
      end else begin : g_signed
        assign result = $signed(acc_reg) >= $signed(param);
      end
    end else begin : g_score
      // score = mul*acc + add computed modulo 2^SCORE_W: the low SCORE_W bits of a
      // product and a sum depend only on the low SCORE_W bits of the operands, and the
      // plan's SCORE_W holds every score of the layer (src/hw/widths.ts scoreBits), so the
      // result, sign-extended to 32 bits, is exact. The product is as wide as its operands
      // make it (MUL_W + AX_W bits, capped at SCORE_W), not 32 x 32.
      localparam integer AX_W   = IN_W == 1 ? ACC_W + 1 : ACC_W;  // acc as a signed number
      localparam integer FULL_W = MUL_W + AX_W;
      localparam integer PROD_W = FULL_W > SCORE_W ? SCORE_W : FULL_W;

      wire signed [MUL_W-1:0]  mul = param[P_W-1:32];
      wire        [SCORE_W-1:0] add = param[SCORE_W-1:0];
      wire signed [AX_W-1:0]   acc_s;
      wire signed [FULL_W-1:0] prod_full = mul * acc_s;
      wire        [PROD_W-1:0] prod = prod_full[PROD_W-1:0];

      if (IN_W == 1) begin : g_unsigned
        assign acc_s = {1'b0, acc_reg};
      end else begin : g_signed
        assign acc_s = acc_reg;
      end
      if (FULL_W > SCORE_W) begin : g_wide
        wire unused_prod_top = ^prod_full[FULL_W-1:SCORE_W];
      end
      if (SCORE_W < 32) begin : g_add_top
        wire unused_add_top = ^param[31:SCORE_W];
      end

      // the score, before its register
      wire [SCORE_W-1:0] score;

      if (PIPE >= 2 && AX_W >= 6) begin : g_prod_split3
        // the product in three parts of acc, each registered (with add), so each LUT
        // multiplier is about a third of acc deep; then the four summed as two pairs in
        // one registered step (two adders deep, as in the two-part form below), so that
        // the score register's input is a register (the fold-serial argmax compares it):
        // mul*acc = mul*acc_0 + mul*acc_1*2^C + mul*acc_2*2^2C (acc_0, acc_1 unsigned),
        // modulo 2^SCORE_W
        localparam integer C    = AX_W / 3;
        localparam integer HI_W = AX_W - 2 * C;
        wire signed [C:0]         acc_0 = {1'b0, acc_s[C-1:0]};
        wire signed [C:0]         acc_1 = {1'b0, acc_s[2*C-1:C]};
        wire signed [HI_W-1:0]    acc_2 = acc_s[AX_W-1:2*C];
        wire signed [SCORE_W-1:0] pp_0  = mul * acc_0;
        wire signed [SCORE_W-1:0] pp_1  = mul * acc_1;
        wire signed [SCORE_W-1:0] pp_2  = mul * acc_2;
        reg  [SCORE_W-1:0] pp_0_reg, pp_1_reg, pp_2_reg, add_reg, sum_reg;
        wire unused_prod = ^prod;
        always @(posedge clk) begin
          if (en) begin
            pp_0_reg <= pp_0;
            pp_1_reg <= pp_1;
            pp_2_reg <= pp_2;
            add_reg  <= add;
            sum_reg  <= (pp_0_reg + (pp_1_reg << C)) + ((pp_2_reg << (2 * C)) + add_reg);
          end
        end
        assign score = sum_reg;
      end else if (PIPE >= 2) begin : g_prod_split
        // the product in two halves of acc, each registered (with add); then
        // product and add summed in one step and registered, so that the score
        // register's input is a register (the fold-serial argmax compares it):
        // mul*acc = mul*acc_hi*2^LO + mul*acc_lo (acc_lo unsigned), modulo 2^PROD_W
        localparam integer LO   = AX_W / 2;
        localparam integer HI_W = AX_W - LO;
        wire signed [LO:0]       acc_lo = {1'b0, acc_s[LO-1:0]};
        wire signed [HI_W-1:0]   acc_hi = acc_s[AX_W-1:LO];
        wire signed [PROD_W-1:0] pp_lo  = mul * acc_lo;
        wire signed [PROD_W-1:0] pp_hi  = mul * acc_hi;
        reg  [PROD_W-1:0]  pp_lo_reg, pp_hi_reg;
        reg  [SCORE_W-1:0] add_reg, sum_reg;
        wire [PROD_W-1:0]  prod_sum = pp_lo_reg + (pp_hi_reg << LO);
        wire [SCORE_W-1:0] prod_sx;
        wire unused_prod = ^prod;
        if (PROD_W < SCORE_W) begin : g_extend
          assign prod_sx = {{(SCORE_W-PROD_W){prod_sum[PROD_W-1]}}, prod_sum};
        end else begin : g_full
          assign prod_sx = prod_sum;
        end
        always @(posedge clk) begin
          if (en) begin
            pp_lo_reg <= pp_lo;
            pp_hi_reg <= pp_hi;
            add_reg   <= add;
            sum_reg   <= prod_sx + add_reg;
          end
        end
        assign score = sum_reg;
      end else begin : g_prod_add
        wire [PROD_W-1:0]  prod_q;
        wire [SCORE_W-1:0] add_q;
        if (PIPE == 1) begin : g_prod_reg
          reg [PROD_W-1:0]  prod_reg;
          reg [SCORE_W-1:0] add_reg;
          always @(posedge clk) begin
            if (en) begin
              prod_reg <= prod;
              add_reg  <= add;
            end
          end
          assign prod_q = prod_reg;
          assign add_q  = add_reg;
        end else begin : g_prod_comb
          assign prod_q = prod;
          assign add_q  = add;
        end
        wire [SCORE_W-1:0] prod_x;
        if (PROD_W < SCORE_W) begin : g_extend
          assign prod_x = {{(SCORE_W-PROD_W){prod_q[PROD_W-1]}}, prod_q};
        end else begin : g_full
          assign prod_x = prod_q;
        end
        assign score = prod_x + add_q;
      end

      wire [SCORE_W-1:0] score_q;
      if (PIPE >= 1) begin : g_score_reg
        reg [SCORE_W-1:0] score_reg;
        always @(posedge clk) begin
          if (en) score_reg <= score;
        end
        assign score_q = score_reg;
      end else begin : g_score_comb
        assign score_q = score;
      end
      wire [SCORE_W-1:0] score_n = PIPE >= 1 ? score : {SCORE_W{1'b0}};
      if (SCORE_W < 32) begin : g_sign
        assign result      = {{(32-SCORE_W){score_q[SCORE_W-1]}}, score_q};
        assign result_next = {{(32-SCORE_W){score_n[SCORE_W-1]}}, score_n};
      end else begin : g_full_score
        assign result      = score_q;
        assign result_next = score_n;
      end
    end
  endgenerate

endmodule

`default_nettype wire
