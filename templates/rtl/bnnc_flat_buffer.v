// bnnc_flat_buffer: ping-pong (double) buffer in front of the first dense layer after a
// convolution or a pool. Its input is a feature map streamed one pixel (BEAT_W channel
// bits) per beat in raster order; BEATS beats fill one vector of MW = BEATS*BEAT_W bits
// in (h, w, c) order, the integer model's flattening (docs/integer-contract.md): beat b
// lands at bits [b*BEAT_W +: BEAT_W]. The read side is bnnc_vec_buffer's: SIMD bits
// per read, word sf = bits [sf*SIMD +: SIMD], registered like a ROM. While the MVTU
// works through one bank the next frame's map fills the other.
//
// Padding: bits past MW of the last word read as 1 (xnor(1, 0) = 0 with the padded
// weight bits 0), so padded lanes never add to the popcount.
`default_nettype none

module bnnc_flat_buffer #(
  parameter integer BEAT_W = 4,  // bits per beat (channels of one pixel)
  parameter integer BEATS  = 4,  // beats per vector (pixels of the map)
  parameter integer BEAT_C = 2,  // beat counter bits; at least 1 and 2**BEAT_C >= BEATS
  parameter integer SIMD   = 4,  // bits per read word
  parameter integer SF     = 4,  // read words per vector; must be ceil(BEATS*BEAT_W/SIMD)
  parameter integer ADDR_W = 2   // read address bits; at least 1 and 2**ADDR_W >= SF
) (
  input  wire              clk,
  input  wire              rst,         // synchronous, active high: drops a partial vector, both banks empty

  // pixels in (AXI4-Stream, one pixel per beat)
  input  wire [BEAT_W-1:0] s_tdata,
  input  wire              s_tvalid,
  output wire              s_tready,

  // read port to the MVTU
  output wire              rd_avail,    // the read bank holds a whole vector
  input  wire              rd_en,       // rd_data <= word rd_addr at this clock edge
  input  wire [ADDR_W-1:0] rd_addr,
  input  wire              rd_release,  // the last read of this vector happens now: free the bank
  output reg  [SIMD-1:0]   rd_data
);

  localparam integer MW = BEATS * BEAT_W;

  generate
    if (BEAT_W < 1 || BEATS < 1 || BEAT_C < 1 || (1 << BEAT_C) < BEATS || SIMD < 1 || SIMD > MW ||
        SF != (MW + SIMD - 1) / SIMD || ADDR_W < 1 || (1 << ADDR_W) < SF)
    begin : g_check
      bnnc_flat_buffer_illegal_parameters_see_the_parameter_comments u_illegal ();
    end
  endgenerate

  // ---- control: beat counter, which bank is written next, which is read, which are full
  localparam integer      BEATS_M1  = BEATS - 1;
  localparam [BEAT_C-1:0] BEAT_LAST = BEATS_M1[BEAT_C-1:0];

  reg [BEAT_C-1:0] beat_reg;
  reg full0_reg, full1_reg;
  reg wr_sel_reg;  // bank being filled
  reg rd_sel_reg;  // bank the MVTU reads

  wire wr_full   = wr_sel_reg ? full1_reg : full0_reg;
  wire s_fire    = s_tvalid && !wr_full;
  wire last_beat = beat_reg == BEAT_LAST;

  assign s_tready = !wr_full;
  assign rd_avail = rd_sel_reg ? full1_reg : full0_reg;

  // The filled bank is empty and the released bank is full, so the two never coincide.
  always @(posedge clk) begin
    if (rst) begin
      beat_reg   <= {BEAT_C{1'b0}};
      full0_reg  <= 1'b0;
      full1_reg  <= 1'b0;
      wr_sel_reg <= 1'b0;
      rd_sel_reg <= 1'b0;
    end else begin
      if (s_fire) begin
        if (last_beat) begin
          beat_reg <= {BEAT_C{1'b0}};
          if (wr_sel_reg) full1_reg <= 1'b1;
          else            full0_reg <= 1'b1;
          wr_sel_reg <= !wr_sel_reg;
        end else begin
          beat_reg <= beat_reg + 1'b1;
        end
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
      if (wr_sel_reg) bank1_reg[beat_reg * BEAT_W +: BEAT_W] <= s_tdata;
      else            bank0_reg[beat_reg * BEAT_W +: BEAT_W] <= s_tdata;
    end
  end

  wire [MW-1:0]      rd_bank = rd_sel_reg ? bank1_reg : bank0_reg;
  wire [SF*SIMD-1:0] rd_vec;

  generate
    if (SF * SIMD == MW) begin : g_exact
      assign rd_vec = rd_bank;
    end else begin : g_padded
      assign rd_vec = {{(SF * SIMD - MW){1'b1}}, rd_bank};
    end
  endgenerate

  always @(posedge clk) begin
    if (rd_en) rd_data <= rd_vec[rd_addr * SIMD +: SIMD];
  end

endmodule

`default_nettype wire
