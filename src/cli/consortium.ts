/** Summaries of a deployed consortium, read from the chain, for the deploy and demo scripts. */
import type { ConsortiumRegistry } from "../../typechain-types/index.js";
import type { ChainConnection } from "../chain/connection.js";
import type { Manifest } from "../chain/manifest.js";
import { loadSeeds } from "../seeds.js";
import { formatTable } from "./table.js";

const NODE_STATUS = ["none", "active", "suspended", "removed"];

/** One row per city: its nodes and the institutions they sponsor, as the registry reports them. */
export async function consortiumTable(conn: ChainConnection, manifest: Manifest): Promise<string> {
  const seeds = loadSeeds();
  const registry = (await conn.ethers.getContractAt("ConsortiumRegistry", manifest.contracts.ConsortiumRegistry.address)) as unknown as ConsortiumRegistry;
  const sponsored = new Map<number, number>();
  const instCount = Number(await registry.institutionCount());
  for (let id = 1; id <= instCount; id++) {
    const inst = await registry.institution(id);
    sponsored.set(Number(inst.sponsor), (sponsored.get(Number(inst.sponsor)) ?? 0) + 1);
  }
  const rows = [];
  for (const city of seeds.cities) {
    const nodes = manifest.nodes.filter((n) => n.city === city.code);
    const states = await Promise.all(nodes.map((n) => registry.node(n.nodeId)));
    rows.push([
      city.code,
      `${city.nameZh} ${city.nameEn}`,
      city.province,
      nodes.map((n, i) => `${n.id}${states[i].frozen ? " (frozen)" : states[i].status === 1n ? "" : ` (${NODE_STATUS[Number(states[i].status)]})`}`).join(" "),
      nodes.length,
      nodes.reduce((a, n) => a + (sponsored.get(n.nodeId) ?? 0), 0),
    ]);
  }
  const totals = ["", "total", "", "", manifest.nodes.length, instCount];
  return formatTable(["code", "city", "province", "nodes", "node count", "institutions"], [...rows, totals]);
}
