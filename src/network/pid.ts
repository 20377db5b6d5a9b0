/** Whether a recorded process id is still a validator's geth (node:fs only: hardhat.config.ts loads this). */
import { readFileSync } from "node:fs";

/** Whether `pid` is a live (not zombie) geth whose command line names `dataDir`. */
export function isValidatorProcess(pid: number, dataDir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const at = args.indexOf("--datadir");
    return at >= 0 && args[at + 1] === dataDir && /geth$/.test(args[0]);
  } catch {
    return false;
  }
}

/** Whether `pid` is a live node service (the `node-service` task) of node `nodeId`. */
export function isServiceProcess(pid: number | undefined, nodeId: string): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const at = args.indexOf("--node");
    return args.includes("node-service") && at >= 0 && args[at + 1] === nodeId;
  } catch {
    return false;
  }
}
