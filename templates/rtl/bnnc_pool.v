// bnnc_pool: max-pooling on activation bits. On +-1 values max is OR on bits, so each
// output pixel is the OR of an S x S window of input pixels, per channel; stride = S;
// the rows and columns past OH*S and OW*S (the remainders) are taken and dropped.
//
// Streaming, one input pixel (C bits) per beat in raster order, one output pixel per
// beat. The OR along a window's row is kept in a register; the OR of the window rows
// above is kept in a line memory of one output row (OW words of C bits): written at
// the end of each window row, read at the start of the window row below (so its
// registered read is ready by the window row's end), and the output pixel leaves when
// the window's last pixel arrives. That pixel waits only while the output register
// still holds an output nobody has taken; every other pixel is taken at once.
`default_nettype none

module bnnc_pool #(
  parameter integer W     = 4,  // input width (pixels per row)
  parameter integer H     = 4,  // input height (rows per frame)
  parameter integer C     = 2,  // channels (bits per pixel)
  parameter integer S     = 2,  // window size and stride; 1 <= S <= W and S <= H
  parameter integer COL_W = 2,  // column counter bits; at least 1 and 2**COL_W >= W
  parameter integer ROW_W = 2,  // row counter bits; at least 1 and 2**ROW_W >= H
  parameter integer Q_W   = 1   // output column bits; at least 1 and 2**Q_W >= W/S
) (
  input  wire         clk,
  input  wire         rst,       // synchronous, active high: drops a partial frame and the output

  // pixels in (AXI4-Stream, one pixel per beat)
  input  wire [C-1:0] s_tdata,
  input  wire         s_tvalid,
  output wire         s_tready,

  // pooled pixels out (AXI4-Stream, one pixel per beat)
  output wire [C-1:0] m_tdata,
  output wire         m_tvalid,
  input  wire         m_tready
);

  localparam integer OW = W / S;
  localparam integer OH = H / S;

  generate
    if (W < 1 || H < 1 || C < 1 || S < 1 || S > W || S > H || COL_W < 1 || (1 << COL_W) < W ||
        ROW_W < 1 || (1 << ROW_W) < H || Q_W < 1 || (1 << Q_W) < OW)
    begin : g_check
      bnnc_pool_illegal_parameters_see_the_parameter_comments u_illegal ();
    end
  endgenerate

  // ---- position of the next pixel: column, row, and where it falls in its window
  localparam integer     W_M1     = W - 1;
  localparam integer     H_M1     = H - 1;
  localparam integer     S_M1     = S - 1;
  localparam integer     COL_END  = OW * S;  // first dropped column (W if none)
  localparam integer     ROW_END  = OH * S;  // first dropped row (H if none)
  localparam [COL_W-1:0] COL_LAST = W_M1[COL_W-1:0];
  localparam [ROW_W-1:0] ROW_LAST = H_M1[ROW_W-1:0];

  reg  [COL_W-1:0] col_reg;
  reg  [ROW_W-1:0] row_reg;
  reg  [Q_W-1:0]   q_reg;   // output column of the pixel: col / S
  reg  [COL_W-1:0] cs_reg;  // col mod S
  reg  [ROW_W-1:0] rs_reg;  // row mod S

  wire col_last = col_reg == COL_LAST;
  wire in_map   = ({1'b0, col_reg} < COL_END[COL_W:0]) && ({1'b0, row_reg} < ROW_END[ROW_W:0]);
  wire cs_first = cs_reg == {COL_W{1'b0}};
  wire cs_last  = cs_reg == S_M1[COL_W-1:0];
  wire rs_first = rs_reg == {ROW_W{1'b0}};
  wire rs_last  = rs_reg == S_M1[ROW_W-1:0];
  wire emits    = in_map && cs_last && rs_last;

  reg  out_valid_reg;
  wire s_fire = s_tvalid && s_tready;

  assign s_tready = !(emits && out_valid_reg && !m_tready);
  assign m_tvalid = out_valid_reg;

  always @(posedge clk) begin
    if (rst) begin
      col_reg       <= {COL_W{1'b0}};
      row_reg       <= {ROW_W{1'b0}};
      q_reg         <= {Q_W{1'b0}};
      cs_reg        <= {COL_W{1'b0}};
      rs_reg        <= {ROW_W{1'b0}};
      out_valid_reg <= 1'b0;
    end else begin
      if (s_fire) begin
        if (col_last) begin
          col_reg <= {COL_W{1'b0}};
          q_reg   <= {Q_W{1'b0}};
          cs_reg  <= {COL_W{1'b0}};
          row_reg <= (row_reg == ROW_LAST) ? {ROW_W{1'b0}} : row_reg + 1'b1;
          rs_reg  <= (row_reg == ROW_LAST || rs_last) ? {ROW_W{1'b0}} : rs_reg + 1'b1;
        end else begin
          col_reg <= col_reg + 1'b1;
          cs_reg  <= cs_last ? {COL_W{1'b0}} : cs_reg + 1'b1;
          if (cs_last) q_reg <= q_reg + 1'b1;
        end
      end
      if (s_fire && emits)  out_valid_reg <= 1'b1;
      else if (m_tready)    out_valid_reg <= 1'b0;
    end
  end

  // ---- the OR along the window row so far, including this pixel
  reg  [C-1:0] run_reg;
  wire [C-1:0] run = cs_first ? s_tdata : (run_reg | s_tdata);

  always @(posedge clk) begin
    if (s_fire) run_reg <= run;
  end

  // ---- the OR of the window rows above, one word per output column
  wire [C-1:0] window_or;

  generate
    if (S == 1) begin : g_no_line
      assign window_or = run;
      wire unused_rs = rs_first;
    end else begin : g_line
      reg [C-1:0] line [0:OW-1];
      reg [C-1:0] line_q;  // word q, read at the window row's first pixel

      always @(posedge clk) begin
        if (s_fire && in_map && cs_first && !rs_first) line_q <= line[q_reg];
      end

      always @(posedge clk) begin
        if (s_fire && in_map && cs_last && !rs_last) line[q_reg] <= rs_first ? run : (line_q | run);
      end

      assign window_or = line_q | run;
    end
  endgenerate

  reg [C-1:0] out_reg;
  assign m_tdata = out_reg;

  always @(posedge clk) begin
    if (s_fire && emits) out_reg <= window_or;
  end

endmodule

`default_nettype wire
