/**
 * How much the sweeps run: BNNC_FUZZ=full (make fuzz) runs every case of a sweep;
 * without it (make test) each sweep runs its slice, chosen for coverage. The one place
 * the variable is read.
 */
export const FUZZ_FULL = process.env.BNNC_FUZZ === 'full';
