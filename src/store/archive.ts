/**
 * Nothing is deleted: `--fresh` (deploy, replay) moves the old manifest and the node stores of a deployment
 * into dated archive folders beside them, and says where.
 */
import { existsSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface Archived {
  manifest?: string;
  stores?: string;
}

/** A UTC time stamp usable in a file name: 2026-11-30T18-52-35Z. */
export function archiveStamp(d: Date = new Date()): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
}

function moveAside(path: string, stamp: string): string {
  const dir = join(dirname(path), "archive");
  mkdirSync(dir, { recursive: true });
  const name = basename(path);
  const dot = name.endsWith(".json") ? name.length - 5 : name.length;
  let target = join(dir, `${name.slice(0, dot)}-${stamp}${name.slice(dot)}`);
  for (let k = 2; existsSync(target); k++) target = join(dir, `${name.slice(0, dot)}-${stamp}-${k}${name.slice(dot)}`);
  renameSync(path, target);
  return target;
}

/**
 * Moves `manifestPath` to `<its folder>/archive/<name>-<stamp>.json` and `storeDir` to
 * `<its folder>/archive/<name>-<stamp>/`, each only if it exists (an empty store folder is left in place).
 */
export function archiveDeployment(manifestPath: string | undefined, storeDir: string | undefined, stamp = archiveStamp()): Archived {
  const out: Archived = {};
  if (manifestPath && existsSync(manifestPath)) out.manifest = moveAside(manifestPath, stamp);
  if (storeDir && existsSync(storeDir) && readdirSync(storeDir).length > 0) out.stores = moveAside(storeDir, stamp);
  return out;
}
