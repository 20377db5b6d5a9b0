/**
 * Whether this process runs with Hardhat's `--coverage` (as a flag, or HARDHAT_COVERAGE=true): the contracts are
 * then compiled instrumented — every statement also records a hit — so their gas is not the product's. The config
 * puts that build under coverage/build/, and gas bounds of tests allow for it.
 */
export function isCoverageBuild(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes("--coverage") || env.HARDHAT_COVERAGE === "true";
}
