/** Enterprise codes for tests. */
import { usccCheckChar } from "../../src/uscc.js";
export { usccToBytes18 as b18 } from "../../src/audit/trail.js";

/** A valid USCC: authority 9, type 1, the given division code, a 9-character organization code. */
export function uscc(division: string, org: string): string {
  const first17 = `91${division}${org}`;
  return first17 + usccCheckChar(first17);
}
