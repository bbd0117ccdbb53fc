// bnnc_fifo: a first-in first-out queue of DEPTH beats. Two uses, both for slack around
// a sliding-window unit (docs/hardware.md): a queue of pixels in front of every unit
// but the first, so that the stages upstream run ahead by DEPTH pixels while the unit
// finishes its frame; and, inside a unit (bnnc_swu's QUEUE_W), a queue of columns
// between its line memory and its window banks, so that its intake takes the next
// frame's first rows while the MVTU still works through this frame's windows.
//
// Timing: a beat accepted at a clock edge is offered at m_* from the next cycle on;
// s_tready = fewer than DEPTH beats held (it does not look at m_tready), so a full
// queue takes a new beat one cycle after it hands one on. The cycle model
// (src/hw/timing.ts) keeps exactly this count.
`default_nettype none

module bnnc_fifo #(
  parameter integer W      = 1,  // bits per beat
  parameter integer ADDR_W = 1   // DEPTH = 2**ADDR_W beats; at least 1
) (
  input  wire         clk,
  input  wire         rst,       // synchronous, active high: empties the queue

  // beats in (AXI4-Stream)
  input  wire [W-1:0] s_tdata,
  input  wire         s_tvalid,
  output wire         s_tready,

  // beats out (AXI4-Stream), in the order they came in
  output wire [W-1:0] m_tdata,
  output wire         m_tvalid,
  input  wire         m_tready
);

  localparam integer DEPTH = 1 << ADDR_W;

  generate
    if (W < 1 || ADDR_W < 1) begin : g_check
      // An instance of a module that does not exist: elaboration stops here, naming it.
      bnnc_fifo_illegal_parameters_see_the_parameter_comments u_illegal ();
    end
  endgenerate

  reg [W-1:0]      mem [0:DEPTH-1];
  reg [ADDR_W-1:0] wr_reg;
  reg [ADDR_W-1:0] rd_reg;
  reg [ADDR_W:0]   count_reg;

  localparam [ADDR_W:0] FULL = DEPTH[ADDR_W:0];
  assign s_tready = count_reg != FULL;
  assign m_tvalid = count_reg != {(ADDR_W + 1){1'b0}};
  assign m_tdata  = mem[rd_reg];

  wire s_fire = s_tvalid && s_tready;
  wire m_fire = m_tvalid && m_tready;

  always @(posedge clk) begin
    if (s_fire) mem[wr_reg] <= s_tdata;
  end

  always @(posedge clk) begin
    if (rst) begin
      wr_reg    <= {ADDR_W{1'b0}};
      rd_reg    <= {ADDR_W{1'b0}};
      count_reg <= {(ADDR_W + 1){1'b0}};
    end else begin
      if (s_fire) wr_reg <= wr_reg + 1'b1;
      if (m_fire) rd_reg <= rd_reg + 1'b1;
      if (s_fire && !m_fire)      count_reg <= count_reg + 1'b1;
      else if (m_fire && !s_fire) count_reg <= count_reg - 1'b1;
    end
  end

endmodule

`default_nettype wire
