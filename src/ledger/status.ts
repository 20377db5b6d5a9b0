/** The ledger's `RecordStatus` values, in the contract's enum order, as the names the tools report. */
export const RECORD_STATUSES = ["not-anchored", "valid", "disputed", "superseded", "revoked", "undeclared", "wrong-city"] as const;
export type RecordStatusName = (typeof RECORD_STATUSES)[number];

/** The name of a `RecordStatus` value returned by `attestationStatus` or `verifyRecord`. */
export function recordStatusName(status: bigint | number): RecordStatusName {
  return RECORD_STATUSES[Number(status)];
}
