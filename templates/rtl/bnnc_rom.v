// bnnc_rom: read-only memory with a registered (synchronous) read port, initialised from
// a $readmemh image. Written in the one form that Yosys and vendor tools recognise as a
// block-RAM ROM: an array, an initial $readmemh, and a clocked read with an enable.
// STYLE says where it goes, as the (* rom_style *) attribute that Yosys' memory mapper
// honours on xc7, iCE40 and ECP5: "block" (block RAM) or "logic" (LUTs and the output
// register). bnnc's plan chooses it per ROM (src/hw/memory.ts).
//
// The image path FILE is relative: simulators and synthesis tools must run with the RTL
// directory as their working directory (see the README of the generated design).
// Image format: one hexadecimal word per line, DEPTH lines, word 0 first.
`default_nettype none

module bnnc_rom #(
  parameter integer WIDTH  = 8,         // bits per word
  parameter integer DEPTH  = 16,        // words
  parameter integer ADDR_W = 4,         // address bits; at least 1 and 2**ADDR_W >= DEPTH
  parameter         FILE   = "",        // $readmemh image, relative to the working directory ("" = no image)
  parameter         STYLE  = "block"    // "block" (block RAM) or "logic" (LUTs)
) (
  input  wire              clk,
  // read port: q <= mem[addr] on every clock edge with en high; q holds otherwise
  input  wire              en,
  input  wire [ADDR_W-1:0] addr,
  output reg  [WIDTH-1:0]  q
);

  // Illegal parameters stop elaboration in every tool: the missing module's name says why.
  generate
    if (WIDTH < 1 || DEPTH < 1 || ADDR_W < 1 || (1 << ADDR_W) < DEPTH) begin : g_check
      bnnc_rom_illegal_parameters_need_width_depth_addr_w_fitting u_illegal ();
    end
    if (STYLE != "block" && STYLE != "logic") begin : g_check_style
      bnnc_rom_illegal_parameters_style_must_be_block_or_logic u_illegal ();
    end
  endgenerate

  // Two copies of one ROM: an attribute's value cannot come from a parameter portably.
  // The default FILE "" keeps tools that elaborate the bare module (Yosys) from opening a file.
  generate
    if (STYLE == "logic") begin : g_logic
      (* rom_style = "logic" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
      if (FILE != "") begin : g_image
        initial $readmemh(FILE, mem);
      end
      always @(posedge clk) begin
        if (en) q <= mem[addr];
      end
    end else begin : g_block
      (* rom_style = "block" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
      if (FILE != "") begin : g_image
        initial $readmemh(FILE, mem);
      end
      always @(posedge clk) begin
        if (en) q <= mem[addr];
      end
    end
  endgenerate

endmodule

`default_nettype wire
