// Runs under the project's own Node (devDependency "node"), after `npm install`.
// npm started by a Node-20 system runtime skips EDR's native package (it declares engines node >= 22);
// reinstall once under this Node if EDR cannot load, then fail loudly if it still cannot.
"use strict";
const { spawnSync } = require("node:child_process");

function edrLoads() {
  const r = spawnSync(process.execPath, ["-e", "require('@nomicfoundation/edr')"], { stdio: "ignore" });
  return r.status === 0;
}

if (!require("node:fs").existsSync("node_modules/@nomicfoundation/edr")) process.exit(0); // first bootstrap
if (edrLoads()) process.exit(0);
const npmCli = process.env.npm_execpath;
if (!npmCli) {
  console.error("postinstall: EDR's native package is missing and npm_execpath is unset; run `npm install` again");
  process.exit(1);
}
console.log(`postinstall: EDR native package missing under Node ${process.version}; installing it once`);
const r = spawnSync(process.execPath, [npmCli, "install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund"], {
  stdio: "inherit",
});
if (r.status !== 0 || !edrLoads()) {
  console.error("postinstall: @nomicfoundation/edr still cannot load; Hardhat will not run (see README, Troubleshooting)");
  process.exit(1);
}
