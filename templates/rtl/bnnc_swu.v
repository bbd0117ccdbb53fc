// bnnc_swu: sliding-window unit in front of a convolution's matrix-vector-threshold
// unit. It turns a stream of feature-map pixels (one pixel's C channels per beat, raster
// order, H rows of W pixels per frame) into the K x K x C windows of a 'valid', stride-1
// convolution, and serves each window to the MVTU exactly as bnnc_vec_buffer serves a
// vector: SIMD elements per read, word sf = window elements sf*SIMD .. sf*SIMD+SIMD-1.
//
// Window element j = (kh*K + kw)*C + c is input (y + kh, x + kw, c) of the window at
// output (y, x): the column order of the folded weights (docs/integer-contract.md), so
// the MVTU's weight ROMs need no reordering. Windows leave in raster order of (y, x).
//
// Memory: K - 1 lines, not whole frames. A line memory of W words holds, at address x,
// the pixels of the K - 1 rows above the current one in column x; it is read one pixel
// ahead (the address of the next pixel), and written as the pixel arrives, so each
// accepted pixel yields the window's new column (K pixels). A shift register keeps the
// K - 1 columns to its left. The pixel at (y + K - 1, x + K - 1) completes window
// (y, x), which is written whole into one of two window banks (ping-pong, as in
// bnnc_vec_buffer) in the same clock edge; the MVTU reads the other bank meanwhile.
// A pixel that completes a window waits while both banks are full; any other pixel is
// taken at once, so the rows that only fill the line memory arrive at the stream's pace.
//
// Padding: elements past MW of the last read word read as 1 (bits: xnor(1, 0) = 0) or
// as pixel 0 (8-bit pixels); the padded weight bits are 0, so they add nothing.
`default_nettype none

module bnnc_swu #(
  parameter integer W      = 5,   // input feature map width (pixels per row)
  parameter integer H      = 5,   // input feature map height (rows per frame)
  parameter integer C      = 2,   // channels per pixel
  parameter integer K      = 3,   // kernel size; 1 <= K <= W and K <= H
  parameter integer IN_W   = 1,   // bits per element: 1 = activation bit, 8 = unsigned pixel
  parameter integer SIMD   = 4,   // elements per read word
  parameter integer SF     = 5,   // read words per window; must be ceil(K*K*C/SIMD)
  parameter integer COL_W  = 3,   // column counter bits; at least 1 and 2**COL_W >= W
  parameter integer ROW_W  = 3,   // row counter bits; at least 1 and 2**ROW_W >= H
  parameter integer ADDR_W = 3    // read address bits; at least 1 and 2**ADDR_W >= SF
) (
  input  wire                 clk,
  input  wire                 rst,         // synchronous, active high: drops a partial frame and both windows

  // pixels in (AXI4-Stream, one pixel per beat; channel c at [c*IN_W +: IN_W])
  input  wire [C*IN_W-1:0]    s_tdata,
  input  wire                 s_tvalid,
  output wire                 s_tready,

  // read port to the MVTU
  output wire                 rd_avail,    // the read bank holds a whole window
  input  wire                 rd_en,       // rd_data <= word rd_addr at this clock edge
  input  wire [ADDR_W-1:0]    rd_addr,
  input  wire                 rd_release,  // the last read of this window happens now: free the bank
  output reg  [SIMD*IN_W-1:0] rd_data
);

  localparam integer MW = K * K * C;  // elements per window
  localparam integer PW = C * IN_W;   // bits per pixel

  generate
    if (W < 1 || H < 1 || C < 1 || K < 1 || K > W || K > H || !(IN_W == 1 || IN_W == 8) ||
        SIMD < 1 || SIMD > MW || SF != (MW + SIMD - 1) / SIMD ||
        COL_W < 1 || (1 << COL_W) < W || ROW_W < 1 || (1 << ROW_W) < H ||
        ADDR_W < 1 || (1 << ADDR_W) < SF)
    begin : g_check
      bnnc_swu_illegal_parameters_see_the_parameter_comments u_illegal ();
    end
  endgenerate

  // ---- position of the next pixel in the frame
  localparam integer      W_M1     = W - 1;
  localparam integer      H_M1     = H - 1;
  localparam integer      K_M1     = K - 1;
  localparam [COL_W-1:0]  COL_LAST = W_M1[COL_W-1:0];
  localparam [ROW_W-1:0]  ROW_LAST = H_M1[ROW_W-1:0];

  reg  [COL_W-1:0] col_reg;
  reg  [ROW_W-1:0] row_reg;
  wire             col_last = col_reg == COL_LAST;
  // The pixel at (row, col) completes the window at (row - K + 1, col - K + 1).
  wire             completes;

  // ---- window banks: control as in bnnc_vec_buffer
  reg full0_reg, full1_reg;
  reg wr_sel_reg;  // bank the next window goes to
  reg rd_sel_reg;  // bank the MVTU reads

  wire wr_full = wr_sel_reg ? full1_reg : full0_reg;
  wire s_fire  = s_tvalid && s_tready;
  wire w_fire  = s_fire && completes;

  assign s_tready = !(completes && wr_full);
  assign rd_avail = rd_sel_reg ? full1_reg : full0_reg;

  always @(posedge clk) begin
    if (rst) begin
      col_reg    <= {COL_W{1'b0}};
      row_reg    <= {ROW_W{1'b0}};
      full0_reg  <= 1'b0;
      full1_reg  <= 1'b0;
      wr_sel_reg <= 1'b0;
      rd_sel_reg <= 1'b0;
    end else begin
      if (s_fire) begin
        col_reg <= col_last ? {COL_W{1'b0}} : col_reg + 1'b1;
        if (col_last) row_reg <= (row_reg == ROW_LAST) ? {ROW_W{1'b0}} : row_reg + 1'b1;
      end
      if (w_fire) begin
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

  // ---- the window completed by the current pixel, element j at [j*IN_W +: IN_W]
  wire [MW*IN_W-1:0] window;

  genvar kh, kw;
  generate
    if (K == 1) begin : g_k1
      assign completes = 1'b1;
      assign window    = s_tdata;
    end else begin : g_lines
      assign completes = (row_reg >= K_M1[ROW_W-1:0]) && (col_reg >= K_M1[COL_W-1:0]);

      // Line memory: word x = {pixel (r-K+1, x), ..., pixel (r-1, x)} for the next row r
      // to arrive; slot i (at [i*PW +: PW]) is row r-1-i.
      localparam integer LB_W = (K - 1) * PW;
      reg  [LB_W-1:0]   lines [0:W-1];
      reg  [LB_W-1:0]   lines_q;  // word col_reg, read one pixel ahead
      wire [COL_W-1:0]  col_next = rst ? {COL_W{1'b0}} :
                                   !s_fire ? col_reg :
                                   col_last ? {COL_W{1'b0}} : col_reg + 1'b1;

      // Writing pixel (r, x) pushes it into slot 0 and the oldest row out.
      wire [LB_W-1:0] lines_d;
      if (K == 2) begin : g_one_line
        assign lines_d = s_tdata;
      end else begin : g_shift_lines
        assign lines_d = {lines_q[LB_W-PW-1:0], s_tdata};
      end

      // The write (address col_reg) and the read (address col_next) never meet: W >= K >= 2.
      always @(posedge clk) begin
        lines_q <= lines[col_next];
        if (s_fire) lines[col_reg] <= lines_d;
      end

      // The window's new column: row kh at [kh*PW +: PW]; kh = K-1 is the arriving pixel.
      wire [K*PW-1:0] new_col;
      assign new_col[(K-1)*PW +: PW] = s_tdata;
      for (kh = 0; kh < K - 1; kh = kh + 1) begin : g_col
        assign new_col[kh*PW +: PW] = lines_q[(K-2-kh)*PW +: PW];
      end

      // The K-1 columns left of it: column kw at [kw*K*PW +: K*PW].
      reg  [(K-1)*K*PW-1:0] cols_reg;
      wire [(K-1)*K*PW-1:0] cols_d;
      if (K == 2) begin : g_one_col
        assign cols_d = new_col;
      end else begin : g_shift_cols
        assign cols_d = {new_col, cols_reg[(K-1)*K*PW-1:K*PW]};
      end
      always @(posedge clk) begin
        if (s_fire) cols_reg <= cols_d;
      end

      wire [K*K*PW-1:0] all_cols = {new_col, cols_reg};
      for (kh = 0; kh < K; kh = kh + 1) begin : g_kh
        for (kw = 0; kw < K; kw = kw + 1) begin : g_kw
          assign window[(kh*K + kw)*PW +: PW] = all_cols[(kw*K + kh)*PW +: PW];
        end
      end
    end
  endgenerate

  // ---- window data (not reset: the full flags say what is valid)
  reg [MW*IN_W-1:0] bank0_reg, bank1_reg;

  always @(posedge clk) begin
    if (w_fire) begin
      if (wr_sel_reg) bank1_reg <= window;
      else            bank0_reg <= window;
    end
  end

  wire [MW*IN_W-1:0]      rd_bank = rd_sel_reg ? bank1_reg : bank0_reg;
  wire [SF*SIMD*IN_W-1:0] rd_vec;

  generate
    if (SF * SIMD == MW) begin : g_exact
      assign rd_vec = rd_bank;
    end else if (IN_W == 1) begin : g_pad_ones
      assign rd_vec = {{(SF * SIMD - MW){1'b1}}, rd_bank};
    end else begin : g_pad_zeros
      assign rd_vec = {{((SF * SIMD - MW) * IN_W){1'b0}}, rd_bank};
    end
  endgenerate

  always @(posedge clk) begin
    if (rd_en) rd_data <= rd_vec[rd_addr * (SIMD * IN_W) +: SIMD * IN_W];
  end

endmodule

`default_nettype wire
