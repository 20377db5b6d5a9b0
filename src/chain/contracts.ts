/** Typed handles on a deployment's contracts, from its manifest: the one place that maps names to addresses. */
import type { ConsentRegistry, ConsortiumRegistry, CreditLedger, QueryDesk, QueryLog } from "../../typechain-types/index.js";
import type { ChainConnection } from "./connection.js";
import type { Manifest } from "./manifest.js";

export interface Contracts {
  registry: ConsortiumRegistry;
  ledger: CreditLedger;
  consents: ConsentRegistry;
  desk: QueryDesk;
  queryLog: QueryLog;
}

export async function contractsOf(conn: ChainConnection, manifest: Manifest): Promise<Contracts> {
  const at = async <T>(name: string): Promise<T> => {
    const entry = manifest.contracts[name];
    if (!entry) throw new Error(`manifest for ${manifest.network} has no ${name}; deploy with --fresh`);
    return (await conn.ethers.getContractAt(name, entry.address)) as unknown as T;
  };
  return {
    registry: await at<ConsortiumRegistry>("ConsortiumRegistry"),
    ledger: await at<CreditLedger>("CreditLedger"),
    consents: await at<ConsentRegistry>("ConsentRegistry"),
    desk: await at<QueryDesk>("QueryDesk"),
    queryLog: await at<QueryLog>("QueryLog"),
  };
}
