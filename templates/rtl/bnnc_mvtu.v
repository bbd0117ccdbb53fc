// bnnc_mvtu: matrix-vector-threshold unit, one per folded layer.
//
// MH neurons over MW synapses, folded onto PE processing elements x SIMD lanes:
// NF = ceil(MH/PE) neuron folds, SF = ceil(MW/SIMD) synapse folds. Per input vector it
// issues NF*SF reads back to back (nf outer, sf inner): in each, PE p gets the SIMD-wide
// input word sf and the weight word nf*SF + sf of its own ROM (neuron nf*PE + p). Vectors
// follow each other with no gap, so the unit's II is exactly NF*SF cycles.
//
// Pipeline (one clock each; docs/hardware.md derives the cycle model from it):
//   issue   read address to the input buffer and the weight ROMs
//   stage 1 each PE (bnnc_pe.v) adds the XNOR-popcount (IN_W = 1) or the signed pixel
//           sum (IN_W = 8) of its SIMD lanes to its accumulator; the per-neuron
//           parameter ROM is read for this fold
//   stage 2 after the last sf: each PE's threshold bit (acc >= T, OUT_W = 1) or score
//           (mul*acc + add, OUT_W = 32); the fold's PE results are shifted
//           into the output collector, and after the last fold the whole vector moves
//           to the output register (m_tvalid).
// The output register frees the collector, so the next vector's folds can be computed
// while the previous result waits for m_tready. Only if a finished vector finds the
// output register still occupied does the whole pipeline stall (all enables low; the
// registered ROM and buffer outputs hold), so back-pressure never loses a result.
// Memories are read only when there is work, so an idle stage's block RAMs stay quiet.
//
// Padding: neurons past MH (last neuron fold) are computed and dropped; synapse lanes
// past MW must add nothing: their weight bits are 0 in the ROM images, and the input
// buffer reads them as 1 (bits; xnor(1, 0) = 0) or as pixel 0 (pixels).
`default_nettype none

module bnnc_mvtu #(
  parameter integer MW       = 16,  // synapses per neuron (input vector length)
  parameter integer MH       = 8,   // neurons (output vector length)
  parameter integer PE       = 2,   // processing elements: neurons computed in parallel
  parameter integer SIMD     = 4,   // synapse lanes per PE
  parameter integer NF       = 4,   // neuron folds; must be ceil(MH/PE)
  parameter integer SF       = 4,   // synapse folds; must be ceil(MW/SIMD)
  parameter integer IN_W     = 1,   // bits per input element: 1 = activation bit, 8 = unsigned pixel
  parameter integer OUT_W    = 1,   // bits per output element: 1 = threshold bit, 32 = signed score
  parameter integer ACC_W    = 5,   // accumulator bits (unsigned for IN_W = 1, signed for IN_W = 8)
  parameter integer MUL_W    = 2,   // signed score multiplier bits (OUT_W = 32 only)
  parameter integer P_W      = 5,   // parameter word per neuron: ACC_W (threshold) or MUL_W+32 ({mul, add})
  parameter integer X_ADDR_W = 2,   // input read address bits (holds SF-1)
  parameter integer W_ADDR_W = 4,   // weight ROM address bits (holds NF*SF-1)
  parameter integer P_ADDR_W = 2    // parameter ROM address bits (holds NF-1)
) (
  input  wire                   clk,
  input  wire                   rst,       // synchronous, active high: drops work in flight

  // input vectors: read port of bnnc_vec_buffer / bnnc_pixel_input
  input  wire                   x_avail,   // a whole input vector is ready to be read
  output wire                   x_en,
  output wire [X_ADDR_W-1:0]    x_addr,
  output wire                   x_release, // last read of the vector: the buffer may reuse it
  input  wire [SIMD*IN_W-1:0]   x_data,    // registered: word x_addr of the previous en edge

  // weights: one ROM per PE, SIMD bits per word, word nf*SF + sf
  output wire                   w_en,
  output wire [W_ADDR_W-1:0]    w_addr,
  input  wire [PE*SIMD-1:0]     w_data,    // PE p at [p*SIMD +: SIMD]; lane j = bit j

  // per-neuron parameters: one ROM per PE, word nf
  output wire                   p_en,
  output wire [P_ADDR_W-1:0]    p_addr,
  input  wire [PE*P_W-1:0]      p_data,    // PE p at [p*P_W +: P_W]

  // output vectors (AXI4-Stream, one vector per beat; element i at [i*OUT_W +: OUT_W])
  output wire [MH*OUT_W-1:0]    m_tdata,
  output wire                   m_tvalid,
  input  wire                   m_tready
);

  generate
    if (MW < 1 || MH < 1 || PE < 1 || SIMD < 1 || PE > MH || SIMD > MW ||
        NF != (MH + PE - 1) / PE || SF != (MW + SIMD - 1) / SIMD ||
        !(IN_W == 1 || IN_W == 8) || !(OUT_W == 1 || OUT_W == 32) ||
        ACC_W < 2 || ACC_W > 31 || (OUT_W == 1 && P_W != ACC_W) ||
        (OUT_W == 32 && (MUL_W < 2 || MUL_W > 31 || P_W != MUL_W + 32)) ||
        X_ADDR_W < 1 || (1 << X_ADDR_W) < SF || W_ADDR_W < 1 || (1 << W_ADDR_W) < NF * SF ||
        P_ADDR_W < 1 || (1 << P_ADDR_W) < NF)
    begin : g_check
      bnnc_mvtu_illegal_parameters_see_the_parameter_comments u_illegal ();
    end
  endgenerate

  // ---- issue: nf outer, sf inner; wa = nf*SF + sf without a multiplier
  localparam integer        SF_M1   = SF - 1;
  localparam integer        NF_M1   = NF - 1;
  localparam [X_ADDR_W-1:0] SF_LAST = SF_M1[X_ADDR_W-1:0];
  localparam [P_ADDR_W-1:0] NF_LAST = NF_M1[P_ADDR_W-1:0];

  reg  [X_ADDR_W-1:0] sf_reg;
  reg  [P_ADDR_W-1:0] nf_reg;
  reg  [W_ADDR_W-1:0] wa_reg;
  wire                advance;  // low only while a finished vector waits for the output register
  wire                issue   = x_avail && advance;
  wire                sf_last = sf_reg == SF_LAST;
  wire                nf_last = nf_reg == NF_LAST;

  always @(posedge clk) begin
    if (rst) begin
      sf_reg <= {X_ADDR_W{1'b0}};
      nf_reg <= {P_ADDR_W{1'b0}};
      wa_reg <= {W_ADDR_W{1'b0}};
    end else if (issue) begin
      if (sf_last) begin
        sf_reg <= {X_ADDR_W{1'b0}};
        nf_reg <= nf_last ? {P_ADDR_W{1'b0}} : nf_reg + 1'b1;
      end else begin
        sf_reg <= sf_reg + 1'b1;
      end
      wa_reg <= (sf_last && nf_last) ? {W_ADDR_W{1'b0}} : wa_reg + 1'b1;
    end
  end

  // Memories are read only when a read is issued (an idle stage's block RAMs stay
  // quiet); a stall leaves their registered outputs holding.
  assign x_en      = issue;
  assign x_addr    = sf_reg;
  assign x_release = issue && sf_last && nf_last;
  assign w_en      = issue;
  assign w_addr    = wa_reg;

  // ---- pipeline control
  reg                p1_valid_reg, p1_first_reg, p1_last_reg, p1_vlast_reg;
  reg [P_ADDR_W-1:0] p1_nf_reg;
  reg                p2_valid_reg, p2_vlast_reg;

  always @(posedge clk) begin
    if (rst) begin
      p1_valid_reg <= 1'b0;
      p2_valid_reg <= 1'b0;
    end else if (advance) begin
      p1_valid_reg <= issue;
      p2_valid_reg <= p1_valid_reg && p1_last_reg;
    end
  end

  always @(posedge clk) begin
    if (advance) begin
      p1_first_reg <= sf_reg == {X_ADDR_W{1'b0}};
      p1_last_reg  <= sf_last;
      p1_vlast_reg <= sf_last && nf_last;
      p1_nf_reg    <= nf_reg;
      p2_vlast_reg <= p1_vlast_reg;
    end
  end

  // The parameter ROM is read in stage 1 so that its word arrives with the final acc.
  assign p_en   = advance && p1_valid_reg;
  assign p_addr = p1_nf_reg;

  wire acc_en  = advance && p1_valid_reg;
  wire fold_en = advance && p2_valid_reg;

  // ---- processing elements (bnnc_pe.v)
  wire [PE*OUT_W-1:0] fold_out;  // stage 2 result of each PE for the current fold
  wire [ACC_W-1:0]    x_sum;     // pixels: the sum of this read's pixels, shared by all PEs

  generate
    if (IN_W == 8) begin : g_pixel_sum
      reg [ACC_W-1:0] sum;
      integer j;
      always @* begin
        sum = {ACC_W{1'b0}};
        for (j = 0; j < SIMD; j = j + 1) sum = sum + {{(ACC_W-8){1'b0}}, x_data[8*j +: 8]};
      end
      assign x_sum = sum;
    end else begin : g_no_pixel_sum
      assign x_sum = {ACC_W{1'b0}};
    end
  endgenerate

  genvar p;
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_pe
      bnnc_pe #(
        .SIMD(SIMD),
        .IN_W(IN_W),
        .OUT_W(OUT_W),
        .ACC_W(ACC_W),
        .MUL_W(MUL_W),
        .P_W(P_W)
      ) u_pe (
        .clk(clk),
        .acc_en(acc_en),
        .first(p1_first_reg),
        .x_data(x_data),
        .w_word(w_data[p*SIMD +: SIMD]),
        .x_sum(x_sum),
        .param(p_data[p*P_W +: P_W]),
        .result(fold_out[p*OUT_W +: OUT_W])
      );
    end
  endgenerate

  // ---- output collector: earlier folds shift down, the last fold lands on top
  wire [NF*PE*OUT_W-1:0] vec_all;

  generate
    if (NF == 1) begin : g_one_fold
      assign vec_all = fold_out;
    end else begin : g_folds
      reg [(NF-1)*PE*OUT_W-1:0] collect_reg;
      assign vec_all = {fold_out, collect_reg};
      always @(posedge clk) begin
        if (fold_en) collect_reg <= vec_all[NF*PE*OUT_W-1:PE*OUT_W];
      end
    end
    if (NF * PE > MH) begin : g_pad_rows
      // results of the padding neurons of the last fold
      wire unused_pad_rows = ^vec_all[NF*PE*OUT_W-1:MH*OUT_W];
    end
  endgenerate

  // ---- output register
  reg [MH*OUT_W-1:0] out_reg;
  reg                out_valid_reg;
  wire               vec_done = p2_valid_reg && p2_vlast_reg;

  assign advance  = !(vec_done && out_valid_reg && !m_tready);
  assign m_tdata  = out_reg;
  assign m_tvalid = out_valid_reg;

  always @(posedge clk) begin
    if (rst) begin
      out_valid_reg <= 1'b0;
    end else if (fold_en && p2_vlast_reg) begin
      out_valid_reg <= 1'b1;
    end else if (m_tready) begin
      out_valid_reg <= 1'b0;
    end
  end

  always @(posedge clk) begin
    if (fold_en && p2_vlast_reg) out_reg <= vec_all[MH*OUT_W-1:0];
  end

endmodule

`default_nettype wire
