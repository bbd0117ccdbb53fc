// bnnc_pe: one processing element of an MVTU. Each enabled clock it adds the
// contribution of SIMD synapse lanes to its accumulator (restarting at the first
// synapse fold of a neuron); its result is a function of the accumulator and the
// neuron's parameter word, valid the cycle after the last fold's addition:
//   IN_W = 1  lanes = popcount(xnor(x, w))             (activation bits)
//   IN_W = 8  lanes = sum of +p (w = 1) or -p (w = 0)  (unsigned 8-bit pixels)
//             = 2 * (sum of p where w = 1) - (sum of all p); the second sum is the same
//             for every PE, so the MVTU computes it once (x_sum) and each PE adds only
//             unsigned, zero-extended pixels: a narrow adder tree.
//   OUT_W = 1   result = acc >= T                      (T = param, ACC_W bits)
//   OUT_W = 32  result = mul*acc + add                 (param = {mul, add})
// A module of its own so that tools elaborate the datapath once per layer, not once
// per PE.
`default_nettype none

module bnnc_pe #(
  parameter integer SIMD  = 4,  // synapse lanes
  parameter integer IN_W  = 1,  // bits per input element: 1 = activation bit, 8 = unsigned pixel
  parameter integer OUT_W = 1,  // bits of the result: 1 = threshold bit, 32 = signed score
  parameter integer ACC_W = 5,  // accumulator bits (unsigned for IN_W = 1, signed for IN_W = 8)
  parameter integer MUL_W = 2,  // signed score multiplier bits (OUT_W = 32 only)
  parameter integer P_W   = 5   // parameter word: ACC_W (threshold) or MUL_W+32 ({mul, add})
) (
  input  wire                 clk,

  // one synapse fold
  input  wire                 acc_en,  // add this fold's lanes
  input  wire                 first,   // first fold of a neuron: start from 0
  input  wire [SIMD*IN_W-1:0] x_data,  // lane j at [j*IN_W +: IN_W]
  input  wire [SIMD-1:0]      w_word,  // lane j's weight bit at [j]
  input  wire [ACC_W-1:0]     x_sum,   // IN_W = 8: sum of the SIMD pixels of x_data (unused for bits)

  // the neuron's result
  input  wire [P_W-1:0]       param,
  output wire [OUT_W-1:0]     result
);

  generate
    if (SIMD < 1 || !(IN_W == 1 || IN_W == 8) || !(OUT_W == 1 || OUT_W == 32) ||
        ACC_W < 2 || ACC_W > 31 || (IN_W == 8 && ACC_W < 10) || (OUT_W == 1 && P_W != ACC_W) ||
        (OUT_W == 32 && (MUL_W < 2 || MUL_W > 31 || P_W != MUL_W + 32)))
    begin : g_check
      bnnc_pe_illegal_parameters_see_the_parameter_comments u_illegal ();
    end
  endgenerate

  reg [ACC_W-1:0] lanes;  // this fold's contribution
  reg [ACC_W-1:0] acc_reg;
  integer j;

  generate
    if (IN_W == 1) begin : g_xnor
      wire unused_x_sum = ^x_sum;
      // popcount(xnor(x, w)), written as a plain sum so that synthesis can build one
      // adder tree (Yosys: a single $macc) for it
      always @* begin
        lanes = {ACC_W{1'b0}};
        for (j = 0; j < SIMD; j = j + 1) begin
          lanes = lanes + {{(ACC_W-1){1'b0}}, x_data[j] ~^ w_word[j]};
        end
      end
    end else begin : g_pixels
      // 2 * (sum of the pixels whose weight is +1) - (sum of all pixels), modulo 2^ACC_W:
      // the result lies in acc's range, so the wrap of the doubled sum does no harm.
      reg [ACC_W-1:0] plus;
      always @* begin
        plus = {ACC_W{1'b0}};
        for (j = 0; j < SIMD; j = j + 1) begin
          plus = plus + ({{(ACC_W-8){1'b0}}, x_data[8*j +: 8]} & {ACC_W{w_word[j]}});
        end
        lanes = {plus[ACC_W-2:0], 1'b0} - x_sum;
      end
    end
  endgenerate

  always @(posedge clk) begin
    if (acc_en) acc_reg <= (first ? {ACC_W{1'b0}} : acc_reg) + lanes;
  end

  generate
    if (OUT_W == 1) begin : g_threshold
      if (IN_W == 1) begin : g_unsigned
        assign result = acc_reg >= param;
      end else begin : g_signed
        assign result = $signed(acc_reg) >= $signed(param);
      end
    end else begin : g_score
      // score = mul*acc + add computed modulo 2^32: the low 32 bits of a product and a
      // sum depend only on the low 32 bits of the operands, and the integer model
      // guarantees |score| < 2^31, so the 32-bit result is exact.
      wire [MUL_W-1:0] mul   = param[P_W-1:32];
      wire [31:0]      add   = param[31:0];
      wire [31:0]      mul_x = {{(32-MUL_W){mul[MUL_W-1]}}, mul};
      wire [31:0]      acc_x;
      if (IN_W == 1) begin : g_unsigned
        assign acc_x = {{(32-ACC_W){1'b0}}, acc_reg};
      end else begin : g_signed
        assign acc_x = {{(32-ACC_W){acc_reg[ACC_W-1]}}, acc_reg};
      end
      assign result = mul_x * acc_x + add;
    end
  endgenerate

endmodule

`default_nettype wire
