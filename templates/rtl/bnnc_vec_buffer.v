// bnnc_vec_buffer: ping-pong (double) buffer in front of a matrix-vector-threshold unit
// whose input is a vector of activation bits.
//
// The write side takes one whole vector per AXI4-Stream beat into whichever bank is
// free; the read side hands the MVTU SIMD bits per read (word sf = bits
// [sf*SIMD +: SIMD]) with the same one-cycle registered timing as a ROM, so the input
// and the weights of one synapse fold arrive together. While the MVTU works through the
// vector in one bank (re-reading it once per neuron fold), the next vector can arrive in
// the other bank; that is what lets every stage run at its own II.
//
// RD_REG = 1 (the MVTU at --pipeline 2, whose PEs register the buffer's word once more
// before the adder tree): that second register is here instead, in the middle of the
// read multiplexer, so that a long vector read a few bits at a time is not one deep
// multiplexer (64 words of 1 bit: 6 levels of LUT4, and the bank select, in one cycle).
// At rd_en the bank and the low half of rd_addr pick one word out of each group of
// 2**(ADDR_W/2) (part_reg); at rd_adv (the MVTU's pipeline enable) the high half picks
// the group (rd_data). Word rd_addr then reaches rd_data two enabled edges after rd_en,
// as it reached the PE's own register before, and both hold while the MVTU stalls.
//
// Padding: bits past MW of the last word read as 1. The MVTU's padded weight bits are 0,
// so xnor(1, 0) = 0 and padded lanes never add to the popcount.
`default_nettype none

module bnnc_vec_buffer #(
  parameter integer MW     = 16,  // bits per vector
  parameter integer SIMD   = 4,   // bits per read word
  parameter integer SF     = 4,   // read words per vector; must be ceil(MW/SIMD)
  parameter integer ADDR_W = 2,   // read address bits; at least 1 and 2**ADDR_W >= SF
  parameter integer RD_REG = 0    // 1: the read in two registered steps (see above)
) (
  input  wire              clk,
  input  wire              rst,         // synchronous, active high: both banks empty

  // vectors in (AXI4-Stream, one vector per beat)
  input  wire [MW-1:0]     s_tdata,
  input  wire              s_tvalid,
  output wire              s_tready,

  // read port to the MVTU
  output wire              rd_avail,    // the read bank holds a whole vector
  input  wire              rd_en,       // rd_data <= word rd_addr at this clock edge
  input  wire [ADDR_W-1:0] rd_addr,
  input  wire              rd_release,  // the last read of this vector happens now: free the bank
  input  wire              rd_adv,      // RD_REG = 1: the second step's enable (unused otherwise)
  output reg  [SIMD-1:0]   rd_data
);

  generate
    if (MW < 1 || SIMD < 1 || SF != (MW + SIMD - 1) / SIMD || ADDR_W < 1 || (1 << ADDR_W) < SF ||
        !(RD_REG == 0 || RD_REG == 1))
    begin : g_check
      bnnc_vec_buffer_illegal_parameters_need_sf_eq_ceil_mw_over_simd u_illegal ();
    end
  endgenerate

  // ---- control: which bank is written next, which is read, which hold a vector
  reg full0_reg, full1_reg;
  reg wr_sel_reg;  // bank the next vector goes to
  reg rd_sel_reg;  // bank the MVTU reads

  wire wr_full = wr_sel_reg ? full1_reg : full0_reg;
  wire s_fire  = s_tvalid && !wr_full;

  assign s_tready = !wr_full;
  assign rd_avail = rd_sel_reg ? full1_reg : full0_reg;

  // The written bank is empty and the released bank is full, so the two never coincide.
  always @(posedge clk) begin
    if (rst) begin
      full0_reg  <= 1'b0;
      full1_reg  <= 1'b0;
      wr_sel_reg <= 1'b0;
      rd_sel_reg <= 1'b0;
    end else begin
      if (s_fire) begin
        if (wr_sel_reg) full1_reg <= 1'b1;
        else            full0_reg <= 1'b1;
        wr_sel_reg <= !wr_sel_reg;
      end
      if (rd_release) begin
        if (rd_sel_reg) full1_reg <= 1'b0;
        else            full0_reg <= 1'b0;
        rd_sel_reg <= !rd_sel_reg;
      end
    end
  end

  // ---- data: the two banks (not reset: the full flags say what is valid)
  reg [MW-1:0] bank0_reg, bank1_reg;

  always @(posedge clk) begin
    if (s_fire) begin
      if (wr_sel_reg) bank1_reg <= s_tdata;
      else            bank0_reg <= s_tdata;
    end
  end

  generate
    if (RD_REG == 0) begin : g_one_step
      wire [MW-1:0]      rd_bank = rd_sel_reg ? bank1_reg : bank0_reg;
      wire [SF*SIMD-1:0] rd_vec;
      wire unused_rd_adv = rd_adv;

      if (SF * SIMD == MW) begin : g_exact
        assign rd_vec = rd_bank;
      end else begin : g_padded
        assign rd_vec = {{(SF * SIMD - MW){1'b1}}, rd_bank};
      end

      always @(posedge clk) begin
        if (rd_en) rd_data <= rd_vec[rd_addr * SIMD +: SIMD];
      end
    end else begin : g_two_step
      localparam integer LO_W = ADDR_W / 2;            // address bits of the first step
      localparam integer NL   = 1 << LO_W;             // words per group
      localparam integer NP   = 1 << (ADDR_W - LO_W);  // groups
      localparam integer NW   = NL * NP;               // words, padded to 2**ADDR_W
      wire [NW*SIMD-1:0] v0, v1;                       // the banks, padded with 1s

      if (NW * SIMD == MW) begin : g_exact
        assign v0 = bank0_reg;
        assign v1 = bank1_reg;
      end else begin : g_padded
        assign v0 = {{(NW * SIMD - MW){1'b1}}, bank0_reg};
        assign v1 = {{(NW * SIMD - MW){1'b1}}, bank1_reg};
      end

      wire [NW*SIMD-1:0] vsel = rd_sel_reg ? v1 : v0;
      wire [31:0]        lo   = {{(32-ADDR_W){1'b0}}, rd_addr} & (NL - 1);
      reg  [NP*SIMD-1:0] parts, part_reg;
      reg  [ADDR_W-LO_W-1:0] hi_reg;
      integer h;

      always @* begin
        for (h = 0; h < NP; h = h + 1) parts[h*SIMD +: SIMD] = vsel[(h * NL + lo) * SIMD +: SIMD];
      end

      always @(posedge clk) begin
        if (rd_en) begin
          part_reg <= parts;
          hi_reg   <= rd_addr[ADDR_W-1:LO_W];
        end
        if (rd_adv) rd_data <= part_reg[hi_reg * SIMD +: SIMD];
      end
    end
  endgenerate

endmodule

`default_nettype wire
