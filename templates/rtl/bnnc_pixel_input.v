// bnnc_pixel_input: the input stage. It packs s_axis beats of IN_PIX 8-bit pixels into a
// ping-pong (double) buffer holding whole images, and serves the first layer's MVTU
// SIMD pixels per read (word sf = pixels sf*SIMD .. sf*SIMD+SIMD-1, pixel j of the word
// at bits [IN_W*j +: IN_W]) with a registered, ROM-like read. IN_W 8 stores the pixels;
// IN_W 1 (a binarized input) stores the bit p >= THRESH of each (bnnc_binarize), so the
// buffer and the read word are 8 times narrower. One image fills one bank; the
// MVTU may start on it once its last beat is in, while the next image fills the other.
//
// Pixel i of an image is in beat i / IN_PIX at bits [8*(i % IN_PIX) +: 8]
// (docs/hardware.md). Pixels past NPIX read as 0, so padded lanes add nothing to the
// first layer's signed sum whatever the sender put in the padding bytes of the last beat;
// binarized, they read as bit 1, which against the ROM's padding weight 0 adds nothing
// to the popcount (bnnc_mvtu.v's padding rule for bits).
//
// When IN_PIX == SIMD a beat is exactly one read word and the banks are one RAM
// (two banks = the top address bit) that synthesis maps to block RAM; otherwise the
// banks are registers so that any beat width can feed any SIMD.
`default_nettype none

module bnnc_pixel_input #(
  parameter integer NPIX   = 16,  // pixels (bytes) per image
  parameter integer IN_PIX = 4,   // pixels per s_axis beat
  parameter integer BEATS  = 4,   // beats per image; must be ceil(NPIX/IN_PIX)
  parameter integer BEAT_W = 2,   // beat counter bits; at least 1 and 2**BEAT_W >= BEATS
  parameter integer SIMD   = 4,   // pixels per read word
  parameter integer SF     = 4,   // read words per image; must be ceil(NPIX/SIMD)
  parameter integer ADDR_W = 2,   // read address bits; at least 1 and 2**ADDR_W >= SF
  parameter integer IN_W   = 8,   // stored bits per pixel: 8, or 1 for a binarized input
  parameter integer THRESH = 128  // IN_W 1: pixel p is stored as the bit p >= THRESH (1..255)
) (
  input  wire                clk,
  input  wire                rst,           // synchronous, active high: drops a partial image

  // pixels in (AXI4-Stream)
  input  wire [8*IN_PIX-1:0] s_axis_tdata,
  input  wire                s_axis_tvalid,
  output wire                s_axis_tready,

  // read port to the first MVTU
  output wire                rd_avail,      // the read bank holds a whole image
  input  wire                rd_en,         // rd_data <= word rd_addr at this clock edge
  input  wire [ADDR_W-1:0]   rd_addr,
  input  wire                rd_release,    // the last read of this image happens now: free the bank
  output reg  [IN_W*SIMD-1:0] rd_data
);

  generate
    if (NPIX < 1 || IN_PIX < 1 || SIMD < 1 || BEATS != (NPIX + IN_PIX - 1) / IN_PIX ||
        SF != (NPIX + SIMD - 1) / SIMD || BEAT_W < 1 || (1 << BEAT_W) < BEATS ||
        ADDR_W < 1 || (1 << ADDR_W) < SF || (IN_PIX == SIMD && BEAT_W != ADDR_W) ||
        (IN_W != 8 && IN_W != 1) || THRESH < 1 || THRESH > 255)
    begin : g_check
      bnnc_pixel_input_illegal_parameters_need_beats_sf_and_widths_consistent u_illegal ();
    end
  endgenerate

  // ---- control: beat counter, which bank is written, which is read, which are full
  reg [BEAT_W-1:0] beat_reg;
  reg full0_reg, full1_reg;
  reg wr_sel_reg;  // bank being filled
  reg rd_sel_reg;  // bank the MVTU reads

  wire wr_full   = wr_sel_reg ? full1_reg : full0_reg;
  wire s_fire    = s_axis_tvalid && !wr_full;
  localparam integer      BEATS_M1  = BEATS - 1;
  localparam [BEAT_W-1:0] BEAT_LAST = BEATS_M1[BEAT_W-1:0];
  wire last_beat = beat_reg == BEAT_LAST;

  assign s_axis_tready = !wr_full;
  assign rd_avail      = rd_sel_reg ? full1_reg : full0_reg;

  // The filled bank is empty and the released bank is full, so the two never coincide.
  always @(posedge clk) begin
    if (rst) begin
      beat_reg   <= {BEAT_W{1'b0}};
      full0_reg  <= 1'b0;
      full1_reg  <= 1'b0;
      wr_sel_reg <= 1'b0;
      rd_sel_reg <= 1'b0;
    end else begin
      if (s_fire) begin
        if (last_beat) begin
          beat_reg <= {BEAT_W{1'b0}};
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

  // ---- data: the beat as stored, IN_W bits per pixel
  localparam [0:0] PAD_BIT = IN_W == 1 ? 1'b1 : 1'b0;  // what lanes past NPIX read as
  wire [IN_W*IN_PIX-1:0] beat;
  generate
    if (IN_W == 1) begin : g_bin
      bnnc_binarize #(
        .N(IN_PIX),
        .THRESH(THRESH)
      ) u_binarize (
        .pixels(s_axis_tdata),
        .bits(beat)
      );
    end else begin : g_pix
      assign beat = s_axis_tdata;
    end
  endgenerate

  generate
    if (IN_PIX == SIMD) begin : g_ram
      // Pixels of the last beat past NPIX are stored as padding (PAD_BIT).
      localparam integer LAST_VALID = NPIX - (BEATS - 1) * IN_PIX;

      wire [IN_W*IN_PIX-1:0] wr_word;
      genvar j;
      for (j = 0; j < IN_PIX; j = j + 1) begin : g_lane
        if (j < LAST_VALID) begin : g_kept
          assign wr_word[IN_W*j +: IN_W] = beat[IN_W*j +: IN_W];
        end else begin : g_zeroed
          assign wr_word[IN_W*j +: IN_W] = last_beat ? {IN_W{PAD_BIT}} : beat[IN_W*j +: IN_W];
        end
      end

      // Bank b, word a lives at address {b, a}.
      reg [IN_W*SIMD-1:0] mem [0:(2 << ADDR_W)-1];

      always @(posedge clk) begin
        if (s_fire) mem[{wr_sel_reg, beat_reg}] <= wr_word;
      end

      always @(posedge clk) begin
        if (rd_en) rd_data <= mem[{rd_sel_reg, rd_addr}];
      end
    end else begin : g_regs
      // Each bank has room for whole beats; only the first NPIX pixels are ever read.
      localparam integer STORE = BEATS * IN_PIX;

      reg [IN_W*STORE-1:0] bank0_reg, bank1_reg;

      always @(posedge clk) begin
        if (s_fire) begin
          if (wr_sel_reg) bank1_reg[beat_reg * (IN_W * IN_PIX) +: IN_W * IN_PIX] <= beat;
          else            bank0_reg[beat_reg * (IN_W * IN_PIX) +: IN_W * IN_PIX] <= beat;
        end
      end

      wire [IN_W*NPIX-1:0]    rd_image = rd_sel_reg ? bank1_reg[IN_W*NPIX-1:0] : bank0_reg[IN_W*NPIX-1:0];
      wire [IN_W*SF*SIMD-1:0] rd_vec;

      if (SF * SIMD == NPIX) begin : g_exact
        assign rd_vec = rd_image;
      end else begin : g_padded
        assign rd_vec = {{(IN_W * (SF * SIMD - NPIX)){PAD_BIT}}, rd_image};
      end

      if (STORE > NPIX) begin : g_tail
        // The padding pixels of the last beat are stored but never read.
        wire unused_tail = ^{bank0_reg[IN_W*STORE-1:IN_W*NPIX], bank1_reg[IN_W*STORE-1:IN_W*NPIX]};
      end

      always @(posedge clk) begin
        if (rd_en) rd_data <= rd_vec[rd_addr * (IN_W * SIMD) +: IN_W * SIMD];
      end
    end
  endgenerate

endmodule

`default_nettype wire
