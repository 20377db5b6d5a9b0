/** Typed handles on a deployment's contracts, from its manifest: the one place that maps names to addresses. */
import type { Interface } from "ethers";
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

/** The revert data a failed call carries, wherever the client nested it. */
export function revertData(e: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof e !== "object" || e === null) return undefined;
  const o = e as Record<string, unknown>;
  if (typeof o.data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(o.data)) return o.data;
  for (const k of ["error", "info", "cause", "data"]) {
    const d = revertData(o[k], depth + 1);
    if (d) return d;
  }
  return undefined;
}

/** The custom error (name and arguments) a call reverted with, read with the deployment's interfaces. */
export function revertReason(c: Contracts, e: unknown): string | undefined {
  const data = revertData(e);
  if (!data) return undefined;
  const ifaces: Interface[] = [c.consents.interface, c.desk.interface, c.registry.interface, c.ledger.interface, c.queryLog.interface];
  for (const iface of ifaces) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
    } catch {
      // not this contract's error
    }
  }
  return undefined;
}
