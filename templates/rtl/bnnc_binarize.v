// bnnc_binarize: a binarized input (bnnc train --input-bits 1). Each of N 8-bit pixels p
// becomes one bit, p >= THRESH (+1 <-> 1), as the integer model's inputThreshold says.
// The wire keeps 8-bit pixels so that every design takes the same beats; for THRESH 128
// the comparison is the pixel's top bit and synthesis keeps no logic for it.
`default_nettype none

module bnnc_binarize #(
  parameter integer N      = 1,   // pixels
  parameter integer THRESH = 128  // 1..255: p >= THRESH is bit 1
) (
  input  wire [8*N-1:0] pixels,
  output wire [N-1:0]   bits
);

  generate
    if (N < 1 || THRESH < 1 || THRESH > 255) begin : g_check
      bnnc_binarize_illegal_parameters_need_n_and_thresh_1_to_255 u_illegal ();
    end
  endgenerate

  localparam [7:0] T = THRESH[7:0];

  genvar j;
  generate
    for (j = 0; j < N; j = j + 1) begin : g_pix
      assign bits[j] = pixels[8*j +: 8] >= T;
    end
  endgenerate

endmodule

`default_nettype wire
