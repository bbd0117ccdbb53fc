// bnnc_rom_2step: a ROM in logic (LUTs) whose read takes two registered steps, for a
// consumer that registers the ROM's word once more before using it (the PEs' weight
// register at --pipeline 3, which this module replaces; bnnc_mvtu W_FED). A deep ROM in
// LUT4s is a multiplexer of many levels (640 words of 1 bit: 5, in one cycle); here it is
// cut in the middle, as bnnc_vec_buffer's RD_REG cuts the buffer's read:
//   at en:  the low LO_W address bits pick one word out of each group of 2**LO_W words
//           (part_reg: the first 4 bits of that pick are a LUT4 over constants, so the
//           first step takes more address bits than the second), and the high bits are
//           kept (hi_reg);
//   at adv: the high bits pick the group's word (q).
// Word addr reaches q two edges after en (the second with adv high), as it reached the
// consumer's own register behind bnnc_rom: same edges, same words, and both steps hold
// while en and adv are low. Words past DEPTH in the last group read as 0 (never
// addressed). Image format and FILE as bnnc_rom.
`default_nettype none

module bnnc_rom_2step #(
  parameter integer WIDTH  = 8,   // bits per word
  parameter integer DEPTH  = 16,  // words
  parameter integer ADDR_W = 4,   // address bits; at least 1 and 2**ADDR_W >= DEPTH
  parameter         FILE   = ""   // $readmemh image, relative to the working directory ("" = no image)
) (
  input  wire              clk,
  input  wire              en,    // first step: part_reg and hi_reg take word addr's group pick
  input  wire [ADDR_W-1:0] addr,
  input  wire              adv,   // second step: q <= the picked word
  output reg  [WIDTH-1:0]  q
);

  generate
    if (WIDTH < 1 || DEPTH < 1 || ADDR_W < 1 || (1 << ADDR_W) < DEPTH) begin : g_check
      bnnc_rom_2step_illegal_parameters_need_width_depth_addr_w_fitting u_illegal ();
    end
  endgenerate

  // LO_W = (ADDR_W + 3) / 2 balances 1 + (LO_W - 4) LUT levels before part_reg against
  // ADDR_W - LO_W after it; at least one address bit is left for the second step.
  localparam integer LO_A = (ADDR_W + 3) / 2;
  localparam integer LO_W = LO_A < ADDR_W - 1 ? LO_A : ADDR_W - 1;  // address bits of the first step
  localparam integer HI_W = ADDR_W - LO_W;                          // of the second (>= 1)
  localparam integer NL   = 1 << LO_W;                              // words per group
  localparam integer NP   = (DEPTH + NL - 1) / NL;                  // groups holding words
  localparam integer NPP  = 1 << HI_W;                              // groups the high bits name

  (* rom_style = "logic" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
  generate
    if (FILE != "") begin : g_image
      initial $readmemh(FILE, mem);
    end
  endgenerate

  wire [NP*WIDTH-1:0] parts;
  reg  [NP*WIDTH-1:0] part_reg;
  reg  [HI_W-1:0]     hi_reg;
  genvar h;

  generate
    for (h = 0; h < NP; h = h + 1) begin : g_group
      localparam integer    HI = h;
      localparam [HI_W-1:0] HV = HI[HI_W-1:0];
      wire [ADDR_W-1:0] a;
      if (LO_W == 0) begin : g_word
        assign a = HV;
      end else begin : g_pick
        assign a = {HV, addr[LO_W-1:0]};
      end
      if ((h + 1) * NL <= DEPTH) begin : g_full
        assign parts[h*WIDTH +: WIDTH] = mem[a];
      end else begin : g_last
        // the words past DEPTH: lo >= DEPTH - h*NL (> 0, so LO_W >= 1 here)
        localparam integer      IN_LAST = DEPTH - h * NL;
        localparam [LO_W-1:0]   LO_END  = IN_LAST[LO_W-1:0];
        assign parts[h*WIDTH +: WIDTH] = addr[LO_W-1:0] < LO_END ? mem[a] : {WIDTH{1'b0}};
      end
    end
  endgenerate

  // the groups the high bits can name but the ROM does not fill read as 0
  wire [NPP*WIDTH-1:0] part_all;
  generate
    if (NPP > NP) begin : g_pad
      assign part_all = {{((NPP - NP) * WIDTH){1'b0}}, part_reg};
    end else begin : g_all
      assign part_all = part_reg;
    end
  endgenerate

  always @(posedge clk) begin
    if (en) begin
      part_reg <= parts;
      hi_reg   <= addr[ADDR_W-1:LO_W];
    end
    if (adv) q <= part_all[hi_reg * WIDTH +: WIDTH];
  end

endmodule

`default_nettype wire
