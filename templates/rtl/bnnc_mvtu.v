// bnnc_mvtu: matrix-vector-threshold unit, one per folded layer.
//
// MH neurons over MW synapses, folded onto PE processing elements x SIMD lanes:
// NF = ceil(MH/PE) neuron folds, SF = ceil(MW/SIMD) synapse folds. Per input vector it
// issues NF*SF reads back to back (nf outer, sf inner): in each, PE p gets the SIMD-wide
// input word sf and the weight word nf*SF + sf of its own ROM (neuron nf*PE + p). Vectors
// follow each other with no gap, so the unit's II is exactly NF*SF cycles.
//
// Pipeline (docs/hardware.md derives the cycle model from it). A read issued at edge e
// (address to the input buffer and the weight ROMs; their outputs are registered) moves
// one stage per clock; stage i is the cycle after edge e + i - 1:
//   stages 1..A-1   PIPE >= 1: the lanes' sum is registered; PIPE = 2: also the
//                   memory outputs and the adder tree's partial sums (bnnc_pe.v);
//                   bit-serial: stage 1 selects the read's plane-b bits, once for all
//                   PEs (g_plane_select; PIPE = 2: registered there, as the PEs' weights)
//   stage A         (1 + PIPE, or 4 at PIPE >= 2; 5 at PIPE = 3 for parallel pixels, XS)
//                   each PE adds the XNOR-popcount (IN_W = 1) or the signed pixel sum
//                   (IN_W = 8) of its SIMD lanes to its accumulator; the per-neuron
//                   parameter ROM is read for this fold
//   (scores, PIPE >= 1: two more stages, the product mul*acc and the score registered;
//   PIPE = 2: three, the product's two halves, their sum and the score)
//   stage D         after the last sf: each PE's threshold bit (acc >= T, OUT_W = 1) or
//                   score (mul*acc + add, OUT_W = 32); the fold's PE results are shifted
//                   into the output collector (scores: and into the fold-serial argmax,
//                   bnnc_argmax.v), and after the last fold the whole vector (scores: and
//                   its class) moves to the output register (m_tvalid).
// D = A + 1 (+ 2 for scores with PIPE = 1, + 3 with PIPE >= 2): PIPE = 0 is the unpipelined unit.
// The output register frees the collector, so the next vector's folds can be computed
// while the previous result waits for m_tready. Only if a finished vector finds the
// output register still occupied does the whole pipeline stall (all enables low; the
// registered ROM and buffer outputs hold), so back-pressure never loses a result.
// PIPE = 3 is PIPE = 2 with a threshold stage's accumulators started from -T (the
// result is a sign bit; bnnc_pe.v), with parallel pixels' sums in three registered steps
// (XS: the masked lanes in groups, the groups' total and x_sum, the signed difference),
// with weight ROMs in logic read in two steps (W_FED), and (SKID = 1: every stage but the last, whose
// m_tready is the design's own m_axis_tready) a second output register behind the first (a skid buffer):
// a finished vector that finds the first occupied waits in the second, and the pipeline
// stalls only if a finished vector finds both occupied. That decision is then made from
// this unit's own registers alone, so m_tready (the next stage's buffer) reaches only
// the output registers' enables, not the pipeline enable, the issue and the release of
// this unit's input buffer; a chain of stages is no longer one combinational ready path.
// Both registers full and one leaving still stalls that cycle (the stall was decided
// from the registers); the cycle model (src/hw/timing.ts) counts the same.
// Memories are read only when there is work, so an idle stage's block RAMs stay quiet.
//
// Padding: neurons past MH (last neuron fold) are computed and dropped (and never win
// the argmax); synapse lanes past MW must add nothing: their weight bits are 0 in the
// ROM images, and the input buffer reads them as 1 (bits; xnor(1, 0) = 0) or as pixel 0
// (pixels).
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
  parameter integer SCORE_W  = 32,  // bits that hold every score (OUT_W = 32 only): computed and compared in this width, sign-extended to 32
  parameter integer P_W      = 5,   // parameter word per neuron: ACC_W (threshold) or MUL_W+32 ({mul, add})
  parameter integer X_ADDR_W = 2,   // input read address bits (holds SF-1)
  parameter integer W_ADDR_W = 4,   // weight ROM address bits (holds NF*SF-1)
  parameter integer P_ADDR_W = 2,   // parameter ROM address bits (holds NF-1)
  parameter integer PIPE     = 0,   // pipeline level 0..3 (see above)
  parameter integer PLANES   = 1,   // 1 = parallel; 8 = bit-serial pixels (IN_W = 8): each read is taken 8 times, one bit plane each
  parameter integer IDX_W    = 1,   // scores (OUT_W = 32): class index bits, 2**IDX_W >= MH; unused otherwise
  parameter integer SKID     = 0,   // 1 (PIPE = 3): a second output register behind the first (see above)
  parameter integer X_FED    = 0,   // 1 (PIPE >= 2, bits): the feed registers its read twice (bnnc_vec_buffer RD_REG = 1, stepped by x_adv), so the PEs do not register x_data again
  parameter integer W_FED    = 0    // 1 (PIPE = 3): the weight ROMs register their read twice (bnnc_rom_2step, stepped by x_adv), so the PEs do not register w_data again
) (
  input  wire                   clk,
  input  wire                   rst,       // synchronous, active high: drops work in flight

  // input vectors: read port of bnnc_vec_buffer / bnnc_pixel_input
  input  wire                   x_avail,   // a whole input vector is ready to be read
  output wire                   x_en,
  output wire [X_ADDR_W-1:0]    x_addr,
  output wire                   x_release, // last read of the vector: the buffer may reuse it
  input  wire [SIMD*IN_W-1:0]   x_data,    // registered: word x_addr of the previous en edge (X_FED = 1: of the en edge before the last x_adv edge)
  output wire                   x_adv,     // the pipeline enable, for a feed or weight ROMs that register their read twice (X_FED, W_FED)

  // weights: one ROM per PE, SIMD bits per word, word nf*SF + sf
  output wire                   w_en,
  output wire [W_ADDR_W-1:0]    w_addr,
  input  wire [PE*SIMD-1:0]     w_data,    // PE p at [p*SIMD +: SIMD]; lane j = bit j (W_FED = 1: of the w_en edge before the last x_adv edge)

  // per-neuron parameters: one ROM per PE, word nf
  output wire                   p_en,
  output wire [P_ADDR_W-1:0]    p_addr,
  input  wire [PE*P_W-1:0]      p_data,    // PE p at [p*P_W +: P_W]

  // output vectors (AXI4-Stream, one vector per beat; element i at [i*OUT_W +: OUT_W];
  // scores: the class, argmax of the scores with ties to the lowest index, above them)
  output wire [MH*OUT_W+(OUT_W == 32 ? IDX_W : 0)-1:0] m_tdata,
  output wire                   m_tvalid,
  input  wire                   m_tready
);

  generate
    if (MW < 1 || MH < 1 || PE < 1 || SIMD < 1 || PE > MH || SIMD > MW ||
        NF != (MH + PE - 1) / PE || SF != (MW + SIMD - 1) / SIMD ||
        !(IN_W == 1 || IN_W == 8) || !(OUT_W == 1 || OUT_W == 32) ||
        ACC_W < 2 || ACC_W > 31 || (OUT_W == 1 && P_W != ACC_W) ||
        (OUT_W == 32 && (MUL_W < 2 || MUL_W > 31 || P_W != MUL_W + 32 || SCORE_W < 2 || SCORE_W > 32)) ||
        X_ADDR_W < 1 || (1 << X_ADDR_W) < SF || W_ADDR_W < 1 || (1 << W_ADDR_W) < NF * SF ||
        P_ADDR_W < 1 || (1 << P_ADDR_W) < NF || PIPE < 0 || PIPE > 3 ||
        !(PLANES == 1 || (PLANES == 8 && IN_W == 8)) ||
        IDX_W < 1 || (OUT_W == 32 && (1 << IDX_W) < MH) ||
        !(X_FED == 0 || (X_FED == 1 && PIPE >= 2 && IN_W == 1)) ||
        !(SKID == 0 || (SKID == 1 && PIPE >= 3)) || !(W_FED == 0 || (W_FED == 1 && PIPE >= 3)))
    begin : g_check
      bnnc_mvtu_illegal_parameters_see_the_parameter_comments u_illegal ();
    end
  endgenerate

  // ---- issue: nf outer, sf, then (bit-serial) the bit plane b innermost; wa = nf*SF + sf
  // without a multiplier. A bit-serial stage issues each address PLANES times in a row.
  localparam integer        SF_M1   = SF - 1;
  localparam integer        NF_M1   = NF - 1;
  localparam [X_ADDR_W-1:0] SF_LAST = SF_M1[X_ADDR_W-1:0];
  localparam [P_ADDR_W-1:0] NF_LAST = NF_M1[P_ADDR_W-1:0];

  reg  [X_ADDR_W-1:0] sf_reg;
  reg  [P_ADDR_W-1:0] nf_reg;
  reg  [W_ADDR_W-1:0] wa_reg;
  reg  [2:0]          b_reg;    // bit plane (0 when PLANES = 1)
  wire                advance;  // low only while a finished vector waits for the output register
  wire                issue   = x_avail && advance;
  wire                b_last  = PLANES == 1 || b_reg == 3'd7;
  wire                sf_last = sf_reg == SF_LAST && b_last;  // the last read of a neuron fold
  wire                nf_last = nf_reg == NF_LAST;

  always @(posedge clk) begin
    if (rst || PLANES == 1) begin
      b_reg <= 3'd0;
    end else if (issue) begin
      b_reg <= b_reg + 3'd1;
    end
  end

  always @(posedge clk) begin
    if (rst) begin
      sf_reg <= {X_ADDR_W{1'b0}};
      nf_reg <= {P_ADDR_W{1'b0}};
      wa_reg <= {W_ADDR_W{1'b0}};
    end else if (issue && b_last) begin
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
  assign x_adv     = advance;

  // ---- pipeline control: per stage i (bit i-1), a read in flight, its first and last
  // synapse fold of a neuron, and the last read of the vector
  localparam integer PL    = PIPE >= 2 ? 3 : 1;                       // stage summing the groups
  // PIPE = 3, parallel pixels: the groups' total and x_sum registered before the PEs
  // subtract (bnnc_pe g_steps), one stage more
  localparam integer XS    = PIPE >= 3 && IN_W == 8 && PLANES == 1 ? 1 : 0;
  localparam integer A     = (PIPE >= 2 ? 4 : 1 + PIPE) + XS;         // accumulator stage
  localparam integer D     = A + 1 + (OUT_W == 32 ? (PIPE >= 2 ? 3 : PIPE > 0 ? 2 : 0) : 0);  // collector stage
  // PIPE = 2: lanes per registered partial sum, about the square root of SIMD (half the
  // adder tree's levels on each side of the register); with XS the masked lanes are the
  // first step's extra level, so its groups take the smaller half of the levels
  localparam integer LEVELS = SIMD > 1 ? $clog2(SIMD) : 0;
  localparam integer GLOG   = XS == 1 ? LEVELS / 2 : (LEVELS + 1) / 2;
  localparam integer GROUP  = PIPE >= 2 ? (1 << GLOG) > SIMD ? SIMD : (1 << GLOG) : 1;

  reg  [D-1:0] valid_reg, last_reg, vlast_reg;
  reg  [A-1:0] first_reg;
  wire [D:0]   valid_cat = {valid_reg, issue};
  wire [D:0]   last_cat  = {last_reg, sf_last};
  wire [D:0]   vlast_cat = {vlast_reg, sf_last && nf_last};
  wire [A:0]   first_cat = {first_reg, sf_reg == {X_ADDR_W{1'b0}} && b_reg == 3'd0};
  // bit-serial: the plane of the read in the stage that selects its bits (1, the read's
  // registered output) and in the one that weights the plane's sum by 2^b (the PEs'
  // lanes stage, PL)
  localparam integer SH = PL;
  reg  [3*SH-1:0] plane_reg;
  wire [3*SH+2:0] plane_cat = {plane_reg, b_reg};
  wire [2:0]      plane_x   = plane_reg[2:0];
  wire [2:0]      plane_s   = plane_reg[3*SH-1 -: 3];
  wire unused_plane_top = ^plane_cat[3*SH+2 -: 3];
  always @(posedge clk) begin
    if (advance) plane_reg <= plane_cat[3*SH-1:0];
  end
  wire unused_cat_top = ^{valid_cat[D], last_cat[D], vlast_cat[D], first_cat[A]};

  always @(posedge clk) begin
    if (rst) begin
      valid_reg <= {D{1'b0}};
    end else if (advance) begin
      valid_reg <= valid_cat[D-1:0];
    end
  end

  always @(posedge clk) begin
    if (advance) begin
      last_reg  <= last_cat[D-1:0];
      vlast_reg <= vlast_cat[D-1:0];
      first_reg <= first_cat[A-1:0];
    end
  end

  // The parameter ROM is read in the accumulator stage so that its word arrives with the
  // final acc: word nf of the fold there, counted as folds pass. A threshold stage at
  // PIPE = 3 starts its accumulators from -T (bnnc_pe g_start): T is read in stage A - 2
  // of a neuron's first fold, so that the PE registers -T for stage A; the words are
  // still counted fold by fold (NF first folds per vector).
  wire acc_en = advance && valid_reg[A-1];
  reg [P_ADDR_W-1:0] pa_reg;

  generate
    if (OUT_W == 1 && PIPE >= 3) begin : g_p_start
      wire p_read = advance && valid_reg[A-3] && first_reg[A-3];
      always @(posedge clk) begin
        if (rst) begin
          pa_reg <= {P_ADDR_W{1'b0}};
        end else if (p_read) begin
          pa_reg <= pa_reg == NF_LAST ? {P_ADDR_W{1'b0}} : pa_reg + 1'b1;
        end
      end
      assign p_en = p_read;
    end else begin : g_p_final
      always @(posedge clk) begin
        if (rst) begin
          pa_reg <= {P_ADDR_W{1'b0}};
        end else if (acc_en && last_reg[A-1]) begin
          pa_reg <= vlast_reg[A-1] ? {P_ADDR_W{1'b0}} : pa_reg + 1'b1;
        end
      end
      assign p_en = acc_en;
    end
  endgenerate

  assign p_addr = pa_reg;

  wire fold_valid = valid_reg[D-1] && last_reg[D-1];
  wire fold_en    = advance && fold_valid;
  wire vec_done   = fold_valid && vlast_reg[D-1];

  // ---- bit-serial: the PEs' lanes are the read's plane-b bits (an 8:1 select per
  // lane), formed here once for every PE and for x_sum, in stage 1 from the buffer's
  // registered output; PIPE = 2 registers them (SIMD bits, not the SIMD pixels) in the
  // stage where the PEs register their weight words, so no stage is added.
  localparam integer X_W = PLANES == 8 ? 1 : IN_W;  // bits per lane of the PEs' x_data
  wire [SIMD*X_W-1:0] x_lanes;  // the PEs' x_data (bit-serial: at PIPE = 2 registered)

  generate
    if (PLANES == 8) begin : g_plane_select
      wire [SIMD-1:0] plane_bits;
      genvar k;
      for (k = 0; k < SIMD; k = k + 1) begin : g_lane
        wire [7:0] pixel = x_data[8*k +: 8];
        assign plane_bits[k] = pixel[plane_x];
      end
      if (PIPE >= 2) begin : g_bits_reg
        reg [SIMD-1:0] bits_reg;
        always @(posedge clk) begin
          if (advance) bits_reg <= plane_bits;
        end
        assign x_lanes = bits_reg;
      end else begin : g_bits_comb
        assign x_lanes = plane_bits;
      end
    end else begin : g_whole_lanes
      assign x_lanes = x_data;
      wire unused_plane_x = ^plane_x;
    end
  endgenerate

  // ---- processing elements (bnnc_pe.v)
  wire [PE*OUT_W-1:0] fold_out;  // stage D result of each PE for the current fold
  wire [PE*OUT_W-1:0] fold_next; // scores at PIPE >= 1: what fold_out becomes at the next advance
  wire [ACC_W-1:0]    x_sum;     // pixels: the sum of this read's pixels, shared by all PEs

  generate
    if (IN_W == 8) begin : g_pixel_sum
      // the same cut as the PEs' adder trees, so x_sum arrives with their groups' total;
      // bit-serial: the sum of the plane's bits (the PEs weight it by 2^b)
      localparam integer G      = PIPE >= 2 ? GROUP : SIMD;
      localparam integer NG     = (SIMD + G - 1) / G;
      localparam integer PART_W = PLANES == 8 ? $clog2(G + 1) : $clog2(255 * G + 1) + (G == 1 ? 1 : 0);  // < ACC_W
      reg [NG*PART_W-1:0] parts;
      reg [ACC_W-1:0]     sum;
      wire [NG*PART_W-1:0] parts_q;
      localparam [PART_W-1:0] PART_ONE = 1;
      integer j, g;
      if (PLANES == 8) begin : g_plane
        // the PEs' plane bits (g_plane_select; registered there at PIPE = 2)
        always @* begin
          parts = {(NG*PART_W){1'b0}};
          for (j = 0; j < SIMD; j = j + 1) begin
            parts[(j/G)*PART_W +: PART_W] = parts[(j/G)*PART_W +: PART_W] + (x_lanes[j] ? PART_ONE : {PART_W{1'b0}});
          end
        end
      end else begin : g_whole
        // PIPE = 2: the buffer's output registered first, as in the PEs
        wire [SIMD*IN_W-1:0] x_q;
        if (PIPE >= 2) begin : g_in_reg
          reg [SIMD*IN_W-1:0] x_reg;
          always @(posedge clk) begin
            if (advance) x_reg <= x_data;
          end
          assign x_q = x_reg;
        end else begin : g_in_comb
          assign x_q = x_data;
        end
        always @* begin
          parts = {(NG*PART_W){1'b0}};
          for (j = 0; j < SIMD; j = j + 1) begin
            parts[(j/G)*PART_W +: PART_W] = parts[(j/G)*PART_W +: PART_W] + {{(PART_W-8){1'b0}}, x_q[8*j +: 8]};
          end
        end
      end
      if (PIPE >= 2) begin : g_parts_reg
        reg [NG*PART_W-1:0] parts_reg;
        always @(posedge clk) begin
          if (advance) parts_reg <= parts;
        end
        assign parts_q = parts_reg;
      end else begin : g_parts_comb
        assign parts_q = parts;
      end
      always @* begin
        sum = {ACC_W{1'b0}};
        for (g = 0; g < NG; g = g + 1) sum = sum + {{(ACC_W-PART_W){1'b0}}, parts_q[g*PART_W +: PART_W]};
      end
      if (XS == 1) begin : g_sum_reg
        // registered beside the PEs' groups' total (bnnc_pe g_steps); below 2^SUM_W
        localparam integer SUM_W = $clog2(255 * SIMD + 1);
        reg [SUM_W-1:0] sum_reg;
        always @(posedge clk) begin
          if (advance) sum_reg <= sum[SUM_W-1:0];
        end
        assign x_sum = {{(ACC_W-SUM_W){1'b0}}, sum_reg};
        wire unused_sum_top = ^sum[ACC_W-1:SUM_W];
      end else begin : g_sum_comb
        assign x_sum = sum;
      end
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
        .SCORE_W(SCORE_W),
        .P_W(P_W),
        .PIPE(PIPE),
        .GROUP(GROUP),
        .PLANES(PLANES),
        .X_REG(X_FED == 1 || (PLANES == 8 && PIPE >= 2) ? 0 : 1),
        .W_REG(W_FED == 1 ? 0 : 1)
      ) u_pe (
        .clk(clk),
        .en(advance),
        .x_data(x_lanes),
        .w_word(w_data[p*SIMD +: SIMD]),
        .x_sum(x_sum),
        .plane_s(plane_s),
        .acc_en(acc_en),
        .first(first_reg[A-1]),
        .param(p_data[p*P_W +: P_W]),
        .result(fold_out[p*OUT_W +: OUT_W]),
        .result_next(fold_next[p*OUT_W +: OUT_W])
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

  // ---- output register: the vector, and for scores its class
  localparam integer XW = OUT_W == 32 ? IDX_W : 0;

  reg [MH*OUT_W+XW-1:0] out_reg;
  reg                   out_valid_reg;
  wire [MH*OUT_W+XW-1:0] out_next;

  generate
    if (OUT_W == 32) begin : g_argmax
      wire [IDX_W-1:0] class_index;
      // The argmax compares the scores in SCORE_W bits: every score fits there, so the
      // low bits order them as the 32-bit values do (a narrower comparator chain).
      wire [PE*SCORE_W-1:0] fold_scores;
      genvar q;
      for (q = 0; q < PE; q = q + 1) begin : g_narrow
        assign fold_scores[q*SCORE_W +: SCORE_W] = fold_out[q*OUT_W +: SCORE_W];
      end
      // One PE with registered scores: the argmax compares each score as it enters the
      // PE's score register, a cycle ahead (its PRE mode), so no comparator is left in
      // the loop of its running best.
      wire [SCORE_W-1:0] next_score = fold_next[SCORE_W-1:0];
      wire unused_next = ^fold_next;
      bnnc_argmax #(
        .N(MH),
        .PE(PE),
        .NF(NF),
        .W(SCORE_W),
        .IDX_W(IDX_W),
        .PRE(PE == 1 && PIPE >= 1 ? 1 : 0)
      ) u_argmax (
        .clk(clk),
        .rst(rst),
        .en(fold_en),
        .next_en(advance),
        .next_value(next_score),
        .values(fold_scores),
        .index(class_index)
      );
      assign out_next = {class_index, vec_all[MH*OUT_W-1:0]};
    end else begin : g_bits
      wire unused_next = ^fold_next;
      assign out_next = vec_all[MH*OUT_W-1:0];
    end
  endgenerate

  generate
    if (SKID == 1) begin : g_skid
      // out_reg is the head (m_tdata), skid_reg the vector behind it; skid_valid_reg
      // implies out_valid_reg, and a vector arrives only while the skid is free.
      reg [MH*OUT_W+XW-1:0] skid_reg;
      reg                   skid_valid_reg;
      wire push = fold_en && vlast_reg[D-1];
      wire pop  = out_valid_reg && m_tready;
      assign advance = !(vec_done && skid_valid_reg);

      always @(posedge clk) begin
        if (rst) begin
          out_valid_reg  <= 1'b0;
          skid_valid_reg <= 1'b0;
        end else begin
          if (!out_valid_reg || pop) begin
            out_valid_reg  <= skid_valid_reg || push;
            skid_valid_reg <= 1'b0;
          end else if (push) begin
            skid_valid_reg <= 1'b1;
          end
        end
      end

      always @(posedge clk) begin
        if (!out_valid_reg || pop) out_reg <= skid_valid_reg ? skid_reg : out_next;
        if (push && out_valid_reg && !pop) skid_reg <= out_next;
      end
    end else begin : g_one_out
      assign advance = !(vec_done && out_valid_reg && !m_tready);

      always @(posedge clk) begin
        if (rst) begin
          out_valid_reg <= 1'b0;
        end else if (fold_en && vlast_reg[D-1]) begin
          out_valid_reg <= 1'b1;
        end else if (m_tready) begin
          out_valid_reg <= 1'b0;
        end
      end

      always @(posedge clk) begin
        if (fold_en && vlast_reg[D-1]) out_reg <= out_next;
      end
    end
  endgenerate

  assign m_tdata  = out_reg;
  assign m_tvalid = out_valid_reg;

endmodule

`default_nettype wire
