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
// Two halves:
// - Intake: K - 1 lines, not whole frames. A line memory of W words holds, at address x,
//   the pixels of the K - 1 rows above the current one in column x; it is read one pixel
//   ahead (the address of the next pixel), and written as the pixel arrives, so each
//   accepted pixel of rows K-1..H-1 yields a column of K pixels (rows y..y+K-1 at x).
//   The pixels of rows 0..K-2 only fill the line memory and are taken at once.
// - Windows: a shift register keeps the K - 1 columns left of the newest; column
//   x >= K - 1 completes window (y, x - K + 1), which is written whole into the next of
//   BANKS window banks (a ring; 2: ping-pong, as in bnnc_vec_buffer) in the same clock
//   edge; the MVTU reads the banks in the same order meanwhile. A column that completes
//   a window waits while its bank is full. At a row's end the window half takes K + 1
//   cycles from the row's last window to the next row's first (K - 1 columns that
//   complete none in between); BANKS banked windows keep the MVTU busy for BANKS * II
//   of them, so a convolution at fewer than (K + 1) / 2 cycles a window needs more than
//   two (the planner picks the number; docs/hardware.md).
// Between them, a queue of 2**QUEUE_W columns (bnnc_fifo; QUEUE_W = 0: none, the
// column goes straight on). Without it the intake stalls with the windows, and the next
// frame's K - 1 rows (which complete no window) only start after this frame's last
// windows are banked, while the MVTU has just two windows of work: when the fill takes
// longer, the MVTU idles once per frame (docs/hardware.md). With it the intake runs up
// to 2**QUEUE_W columns ahead, into the next frame's rows, while the MVTU works through
// the queued columns. A column is K pixels, a window K*K: the queue holds the same
// windows in 1/K of the bits, in a memory. A column accepted at an edge is offered to
// the window half from the next cycle (bnnc_fifo's timing).
//
// Padding: elements past MW of the last read word read as 1 (bits: xnor(1, 0) = 0) or
// as pixel 0 (8-bit pixels); the padded weight bits are 0, so they add nothing.
`default_nettype none

module bnnc_swu #(
  parameter integer W       = 5,   // input feature map width (pixels per row)
  parameter integer H       = 5,   // input feature map height (rows per frame)
  parameter integer C       = 2,   // channels per pixel
  parameter integer K       = 3,   // kernel size; 1 <= K <= W and K <= H
  parameter integer IN_W    = 1,   // bits per element: 1 = activation bit, 8 = unsigned pixel
  parameter integer SIMD    = 4,   // elements per read word
  parameter integer SF      = 5,   // read words per window; must be ceil(K*K*C/SIMD)
  parameter integer COL_W   = 3,   // column counter bits; at least 1 and 2**COL_W >= W
  parameter integer ROW_W   = 3,   // row counter bits; at least 1 and 2**ROW_W >= H
  parameter integer ADDR_W  = 3,   // read address bits; at least 1 and 2**ADDR_W >= SF
  parameter integer QUEUE_W = 0,   // column queue of 2**QUEUE_W columns; 0 = no queue
  parameter integer BANKS   = 2    // window banks, at least 2
) (
  input  wire                 clk,
  input  wire                 rst,         // synchronous, active high: drops a partial frame, the queue and both windows

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

  localparam integer MW    = K * K * C;  // elements per window
  localparam integer PW    = C * IN_W;   // bits per pixel
  localparam integer COL_B = K * PW;     // bits per column

  generate
    if (W < 1 || H < 1 || C < 1 || K < 1 || K > W || K > H || !(IN_W == 1 || IN_W == 8) ||
        SIMD < 1 || SIMD > MW || SF != (MW + SIMD - 1) / SIMD ||
        COL_W < 1 || (1 << COL_W) < W || ROW_W < 1 || (1 << ROW_W) < H ||
        ADDR_W < 1 || (1 << ADDR_W) < SF || QUEUE_W < 0 || BANKS < 2)
    begin : g_check
      bnnc_swu_illegal_parameters_see_the_parameter_comments u_illegal ();
    end
  endgenerate

  localparam integer      W_M1     = W - 1;
  localparam integer      H_M1     = H - 1;
  localparam integer      K_M1     = K - 1;
  localparam [COL_W-1:0]  COL_LAST = W_M1[COL_W-1:0];
  localparam [ROW_W-1:0]  ROW_LAST = H_M1[ROW_W-1:0];

  // ================= intake: position of the next pixel, line memory, new column

  reg  [COL_W-1:0] col_reg;
  reg  [ROW_W-1:0] row_reg;
  wire             col_last = col_reg == COL_LAST;
  // The pixel's row completes a column (rows K-1..H-1); rows above only fill the lines.
  wire             in_cols;

  wire             c_tvalid;  // the intake offers a column
  wire             c_tready;
  wire [COL_B-1:0] c_tdata;   // row kh of the column at [kh*PW +: PW]; kh = K-1 is the pixel

  assign s_tready = !in_cols || c_tready;
  assign c_tvalid = s_tvalid && in_cols;
  wire   s_fire   = s_tvalid && s_tready;

  always @(posedge clk) begin
    if (rst) begin
      col_reg <= {COL_W{1'b0}};
      row_reg <= {ROW_W{1'b0}};
    end else if (s_fire) begin
      col_reg <= col_last ? {COL_W{1'b0}} : col_reg + 1'b1;
      if (col_last) row_reg <= (row_reg == ROW_LAST) ? {ROW_W{1'b0}} : row_reg + 1'b1;
    end
  end

  genvar kh, kw;
  generate
    if (K == 1) begin : g_k1
      assign in_cols = 1'b1;
      assign c_tdata = s_tdata;
    end else begin : g_lines
      assign in_cols = row_reg >= K_M1[ROW_W-1:0];

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

      assign c_tdata[(K-1)*PW +: PW] = s_tdata;
      for (kh = 0; kh < K - 1; kh = kh + 1) begin : g_col
        assign c_tdata[kh*PW +: PW] = lines_q[(K-2-kh)*PW +: PW];
      end
    end
  endgenerate

  // ================= the column queue (or none)

  wire             q_tvalid;
  wire             q_tready;
  wire [COL_B-1:0] q_tdata;

  generate
    if (QUEUE_W == 0) begin : g_direct
      assign q_tvalid = c_tvalid;
      assign q_tdata  = c_tdata;
      assign c_tready = q_tready;
    end else begin : g_queue
      bnnc_fifo #(
        .W(COL_B),
        .ADDR_W(QUEUE_W)
      ) u_queue (
        .clk(clk),
        .rst(rst),
        .s_tdata(c_tdata),
        .s_tvalid(c_tvalid),
        .s_tready(c_tready),
        .m_tdata(q_tdata),
        .m_tvalid(q_tvalid),
        .m_tready(q_tready)
      );
    end
  endgenerate

  // ================= windows: column position, K-1 left columns, window banks

  wire             completes;

  // Banks in a ring: windows are written at wr_sel_reg and read at rd_sel_reg, each
  // moving on to the next bank (BANKS = 2: ping-pong, as in bnnc_vec_buffer).
  localparam integer BANK_W = BANKS > 2 ? $clog2(BANKS) : 1;
  localparam integer BANKS_M1 = BANKS - 1;
  localparam [BANK_W-1:0] BANK_LAST = BANKS_M1[BANK_W-1:0];

  reg [BANKS-1:0]  full_reg;
  reg [BANK_W-1:0] wr_sel_reg;  // bank the next window goes to
  reg [BANK_W-1:0] rd_sel_reg;  // bank the MVTU reads

  wire wr_full = full_reg[wr_sel_reg];
  assign q_tready = !(completes && wr_full);
  wire q_fire = q_tvalid && q_tready;
  wire w_fire = q_fire && completes;

  assign rd_avail = full_reg[rd_sel_reg];

  always @(posedge clk) begin
    if (rst) begin
      full_reg   <= {BANKS{1'b0}};
      wr_sel_reg <= {BANK_W{1'b0}};
      rd_sel_reg <= {BANK_W{1'b0}};
    end else begin
      // w_fire writes a free bank and rd_release frees a full one: never the same bit.
      if (w_fire) begin
        full_reg[wr_sel_reg] <= 1'b1;
        wr_sel_reg <= (wr_sel_reg == BANK_LAST) ? {BANK_W{1'b0}} : wr_sel_reg + 1'b1;
      end
      if (rd_release) begin
        full_reg[rd_sel_reg] <= 1'b0;
        rd_sel_reg <= (rd_sel_reg == BANK_LAST) ? {BANK_W{1'b0}} : rd_sel_reg + 1'b1;
      end
    end
  end

  // The window completed by the arriving column, element j at [j*IN_W +: IN_W].
  wire [MW*IN_W-1:0] window;

  generate
    if (K == 1) begin : g_win1
      assign completes = 1'b1;
      assign window    = q_tdata;
    end else begin : g_win
      // Column of the next column to arrive (0..W-1): without a queue, the intake's.
      wire [COL_W-1:0] wcol;
      if (QUEUE_W == 0) begin : g_wcol_intake
        assign wcol = col_reg;
      end else begin : g_wcol_own
        reg [COL_W-1:0] wcol_reg;
        always @(posedge clk) begin
          if (rst) wcol_reg <= {COL_W{1'b0}};
          else if (q_fire) wcol_reg <= (wcol_reg == COL_LAST) ? {COL_W{1'b0}} : wcol_reg + 1'b1;
        end
        assign wcol = wcol_reg;
      end
      assign completes = wcol >= K_M1[COL_W-1:0];

      // The K-1 columns left of the arriving one: column kw at [kw*COL_B +: COL_B].
      reg  [(K-1)*COL_B-1:0] cols_reg;
      wire [(K-1)*COL_B-1:0] cols_d;
      if (K == 2) begin : g_one_col
        assign cols_d = q_tdata;
      end else begin : g_shift_cols
        assign cols_d = {q_tdata, cols_reg[(K-1)*COL_B-1:COL_B]};
      end
      always @(posedge clk) begin
        if (q_fire) cols_reg <= cols_d;
      end

      wire [K*COL_B-1:0] all_cols = {q_tdata, cols_reg};
      for (kh = 0; kh < K; kh = kh + 1) begin : g_kh
        for (kw = 0; kw < K; kw = kw + 1) begin : g_kw
          assign window[(kh*K + kw)*PW +: PW] = all_cols[(kw*K + kh)*PW +: PW];
        end
      end
    end
  endgenerate

  // ---- window data (not reset: the full flags say what is valid); registers, one
  // enable per bank, so that the MVTU's read is a multiplexer of BANKS windows
  localparam integer BW = MW * IN_W;
  reg  [BANKS*BW-1:0] banks_reg;

  genvar b;
  generate
    for (b = 0; b < BANKS; b = b + 1) begin : g_bank
      always @(posedge clk) begin
        if (w_fire && wr_sel_reg == b[BANK_W-1:0]) banks_reg[b*BW +: BW] <= window;
      end
    end
  endgenerate

  wire [BW-1:0] rd_bank = banks_reg[rd_sel_reg * BW +: BW];
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
