/**
 * The project's Hardhat plugin: every YRD task under the namespace `yrd` (`npx hardhat yrd deploy`, `yrd attest`,
 * `yrd verify` …), each compiling first. The tasks are declared (options and actions) in hardhat.config.ts and
 * given to `yrdPlugin`, which is registered in the config's `plugins`.
 *
 * The namespace keeps our names apart from those of Hardhat and its plugins: our record check is `yrd verify`,
 * next to hardhat-verify's `verify`. The top-level names of before (`deploy`, `attest`, `verify-record`, `query`,
 * `audit`, `replay`, `demo`, `bench`, `network`, `node-service` …) stay as aliases of the same definitions, so
 * existing scripts, npm scripts and processes started by older commands keep working.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { emptyTask } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { HardhatPlugin } from "hardhat/types/plugins";
import type { NewTaskDefinition, TaskArguments, TaskDefinition } from "hardhat/types/tasks";

/** The namespace of the project's tasks. */
export const NAMESPACE = "yrd";

/** Top-level aliases whose name differs from the task's name in the namespace (`verify` is hardhat-verify's). */
const ALIASES: Record<string, string> = { verify: "verify-record" };

/**
 * Every project task compiles first, so that a fresh clone runs any README command (artifacts/ and
 * typechain-types/ are generated, not committed). Hardhat's `build` task is incremental: it compiles only when
 * artifacts are missing or stale, and with `--quiet` it prints nothing when nothing changed. The build runs
 * before the task's module is imported, so a task module may import anything the compile generates. It runs in
 * a child process: the build system's caches (~130 MB even when nothing changed) then do not stay in the
 * memory of long tasks such as a replay, whose peak memory is one of its figures.
 */
async function compile(hre: HardhatRuntimeEnvironment): Promise<void> {
  // set by a task that compiled first and then starts others (network up starts a node service per node)
  if (process.env.YRD_COMPILED === "1") return;
  // two commands started at once would build side by side and race on the build cache (measured: ENOENT on
  // cache/compile-cache.json.tmp): one builds at a time, under a lock folder (mkdir is atomic), bounded wait
  const lock = join(hre.config.paths.cache, "yrd-build.lock");
  mkdirSync(hre.config.paths.cache, { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // a lock older than the wait bound was left by a killed build: take it over
      if (Date.now() - statSync(lock).mtimeMs > 300_000) break;
      if (Date.now() > deadline) throw new Error(`another build holds ${lock} for over 5 minutes; remove that folder if no build is running`, { cause: e });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const cli = join(hre.config.paths.root, "node_modules", "hardhat", "dist", "src", "cli.js");
    const r = spawnSync(process.execPath, [cli, "build", "--quiet"], { cwd: hre.config.paths.root, stdio: "inherit" });
    if (r.status !== 0) throw new Error(`compiling the contracts failed (exit code ${r.status ?? r.signal}); see the compiler's output above`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * The same task, compiling first. Its action must be lazy (`setAction(() => import("./scripts/x.js"))`), as a
 * plugin's must; it resolves to `{ default: (args, hre) => … }`.
 */
function compilingFirst(definition: NewTaskDefinition): NewTaskDefinition {
  const load = definition.action;
  if (load === undefined) throw new Error(`yrd plugin: task ${definition.id.join(" ")} needs a lazy action, setAction(() => import("./scripts/….js"))`);
  return {
    ...definition,
    action: async () => ({
      default: async (args: TaskArguments, hre: HardhatRuntimeEnvironment) => {
        await compile(hre);
        const { default: action } = await load();
        return await action(args, hre);
      },
    }),
  };
}

/** The top-level alias of a task of the namespace (`verify` → `verify-record`, the others keep their name). */
export function aliasOf(name: string): string {
  return ALIASES[name] ?? name;
}

/**
 * The plugin of the project's tasks: each definition (declared with a one-word id, e.g. `task("attest", …)`)
 * becomes `yrd <id>`, compiling first, and stays reachable by its top-level alias.
 */
export function yrdPlugin(definitions: NewTaskDefinition[]): HardhatPlugin {
  const tasks: TaskDefinition[] = [emptyTask(NAMESPACE, "YRD Credit Chain: the consortium's commands (npx hardhat yrd <command> --help)").build()];
  for (const d of definitions) {
    if (d.id.length !== 1) throw new Error(`yrd plugin: declare task ${d.id.join(" ")} with a one-word id; the plugin puts it under "${NAMESPACE}"`);
    const [name] = d.id;
    const compiled = compilingFirst(d);
    tasks.push({ ...compiled, id: [NAMESPACE, name] });
    tasks.push({ ...compiled, id: [aliasOf(name)], description: `Same as \`hardhat ${NAMESPACE} ${name}\`` });
  }
  return { id: "yrd-credit-chain", tasks };
}
