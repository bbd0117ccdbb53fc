// bnnc_argmax: index of the largest of N signed values, ties to the lowest index (the
// integer model's rule). Combinational, a tree of log2(N) comparator levels: at level s
// the winner of [i, i+s) meets the winner of [i+s, i+2s) and the right one wins only if
// strictly greater, so equal values keep the lower index.
`default_nettype none

module bnnc_argmax #(
  parameter integer N     = 10,  // number of values
  parameter integer W     = 32,  // bits per value (two's complement)
  parameter integer IDX_W = 4    // index bits; at least 1 and 2**IDX_W >= N
) (
  input  wire [N*W-1:0]   values,  // value i at [i*W +: W]
  output wire [IDX_W-1:0] index
);

  generate
    if (N < 1 || W < 1 || IDX_W < 1 || (1 << IDX_W) < N) begin : g_check
      bnnc_argmax_illegal_parameters_need_n_to_fit_idx_w u_illegal ();
    end
  endgenerate

  reg [N*W-1:0]     best_val;  // slot i: the best value of the range slot i stands for
  reg [N*IDX_W-1:0] best_idx;  // slot i: its index
  integer i, s;

  always @* begin
    best_val = values;
    for (i = 0; i < N; i = i + 1) best_idx[i*IDX_W +: IDX_W] = i[IDX_W-1:0];
    for (s = 1; s < N; s = s * 2) begin
      for (i = 0; i + s < N; i = i + 2 * s) begin
        if ($signed(best_val[(i+s)*W +: W]) > $signed(best_val[i*W +: W])) begin
          best_val[i*W +: W]         = best_val[(i+s)*W +: W];
          best_idx[i*IDX_W +: IDX_W] = best_idx[(i+s)*IDX_W +: IDX_W];
        end
      end
    end
  end

  assign index = best_idx[IDX_W-1:0];

endmodule

`default_nettype wire
