/**
 * The `yrd` Hardhat network (hardhat.config.ts): JSON-RPC of one validator of the multi-node network, read from
 * the network manifest when the config loads — the first validator, or the one YRD_RPC_NODE names (an id such
 * as hz-1), so any command can run against any node. Hardhat signs locally with the test mnemonic's accounts.
 *
 * Without a network (no manifest, or its validator not running) Hardhat still loads for every other network;
 * a command given `--network yrd` stops at once with one line saying what to do.
 */
import { isValidatorProcess } from "./pid.js";
import { NETWORK_NAME, networkManifestPath, pickRpcNode, readNetworkManifest, rpcUrl } from "./manifest.js";

/** Whether this process runs a Hardhat command on the `yrd` network (`--network yrd`, or HARDHAT_NETWORK=yrd). */
function yrdSelected(argv: readonly string[] = process.argv): boolean {
  if (process.env.HARDHAT_NETWORK === NETWORK_NAME) return true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--network" && argv[i + 1] === NETWORK_NAME) return true;
    if (argv[i] === `--network=${NETWORK_NAME}`) return true;
  }
  return false;
}

/** A port nothing listens on, for the URL of a network that is not up (a command on it stops before connecting). */
const NO_NETWORK_URL = "http://127.0.0.1:9";

export function yrdNetworkConfig(accounts: { mnemonic: string; count: number }) {
  let url = NO_NETWORK_URL;
  let chainId: number | undefined;
  let problem: string | undefined;
  try {
    const m = readNetworkManifest();
    if (!m) problem = "no network: run `npm run network -- up`";
    else {
      const node = pickRpcNode(m);
      url = rpcUrl(node);
      chainId = Number(m.chainId);
      if (!isValidatorProcess(node.pid, node.dataDir)) problem = `network yrd is down (validator ${node.id} is not running): run \`npm run network -- up\``;
    }
  } catch (e) {
    problem = `${(e as Error).message} (${networkManifestPath()})`;
  }
  if (problem && yrdSelected()) {
    console.error(`error: ${problem}`);
    process.exit(1);
  }
  return { type: "http" as const, chainType: "l1" as const, url, ...(chainId ? { chainId } : {}), accounts };
}
