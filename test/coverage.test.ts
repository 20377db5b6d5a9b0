/** The contracts' coverage check (src/coverage/contracts.ts): lcov lines, statements and if-branches from hits. */
import { expect } from "chai";
import { branchesOf, missedThresholds, parseLcov, percent, statementsOf, type ContractCoverage } from "../src/coverage/contracts.js";
import { isCoverageBuild } from "../src/coverage/build.js";

const SOURCE = `pragma solidity ^0.8.24;
contract C {
    uint256 x;
    function f(uint256 a) external {
        if (a == 0) revert();
        if (a > 10) {
            x = 1;
        } else {
            x = 2;
        }
        if (a == 5) x = 3;
    }
}
`;

describe("contract coverage check", () => {
  const statements = statementsOf(SOURCE, "project/contracts/C.sol", "0.8.30");
  const text = (s: { start: number; end: number }) => SOURCE.slice(s.start, s.end).trim();
  const tag = (startsWith: string) => statements.find((s) => text(s).startsWith(startsWith))!.tag;

  it("finds the statements Hardhat instruments, with stable tags", () => {
    expect(statements.map(text)).to.include.members(["if (a == 0) revert();", "revert();", "x = 1;", "x = 2;", "x = 3;"]);
    expect(statementsOf(SOURCE, "project/contracts/C.sol", "0.8.30").map((s) => s.tag)).to.deep.equal(statements.map((s) => s.tag));
    // the tag depends on the source name: hits of another file never count here
    expect(statementsOf(SOURCE, "project/contracts/D.sol", "0.8.30")[0].tag).to.not.equal(statements[0].tag);
  });

  it("counts both branches of each if, else included, from the hits", () => {
    // f(0) reverts; f(20) takes the second if's body and passes the third if
    const hits = new Map<string, number>([
      [tag("if (a == 0)"), 2],
      [tag("revert()"), 1],
      [tag("if (a > 10)"), 1],
      [statements.find((s) => text(s).startsWith("{") && text(s).includes("x = 1"))!.tag, 1], // the body block
      [tag("x = 1"), 1],
      [tag("if (a == 5)"), 1],
    ]);
    const branches = branchesOf(SOURCE, statements, hits);
    expect(branches).to.deep.equal([
      { line: 5, side: "taken", covered: true },
      { line: 5, side: "not taken", covered: true },
      { line: 6, side: "taken", covered: true },
      { line: 6, side: "not taken", covered: false }, // the else never ran
      { line: 11, side: "taken", covered: false },
      { line: 11, side: "not taken", covered: true },
    ]);
    // with an else, "not taken" means the else ran, not that the if ran more often than its body
    hits.set(tag("if (a > 10)"), 2);
    expect(branchesOf(SOURCE, statements, hits)[3]).to.deep.equal({ line: 6, side: "not taken", covered: false });
    hits.set(statements.find((s) => text(s).startsWith("{") && text(s).includes("x = 2"))!.tag, 1);
    expect(branchesOf(SOURCE, statements, hits)[3]).to.deep.equal({ line: 6, side: "not taken", covered: true });
  });

  it("reads Hardhat's lcov lines and refuses a malformed one", () => {
    const lcov = parseLcov("TN:\nSF:contracts/C.sol\nDA:5,1\nDA:6,0\nLH:1\nLF:2\nend_of_record\n");
    expect([...lcov.get("contracts/C.sol")!.found]).to.deep.equal([5, 6]);
    expect([...lcov.get("contracts/C.sol")!.hit]).to.deep.equal([5]);
    expect(() => parseLcov("SF:a.sol\nDA:x,1\n")).to.throw(/malformed line "DA:x,1"/);
  });

  it("names each total below its threshold", () => {
    const c: ContractCoverage = {
      files: [],
      total: { lines: { covered: 96, total: 100 }, statements: { covered: 95, total: 100 }, branches: { covered: 47, total: 50 } },
      runners: [],
    };
    expect(percent(c.total.branches)).to.equal(94);
    expect(missedThresholds(c, { lines: 95, statements: 95, branches: 95 })).to.deep.equal(["contract branches: 94.00 % is below the required 95 %"]);
    expect(percent({ covered: 0, total: 0 })).to.equal(100);
  });

  it("knows a coverage build by its flag or Hardhat's environment variable", () => {
    expect(isCoverageBuild(["node", "hardhat", "test", "--coverage"], {})).to.equal(true);
    expect(isCoverageBuild(["node", "hardhat", "test"], { HARDHAT_COVERAGE: "true" })).to.equal(true);
    expect(isCoverageBuild(["node", "hardhat", "test"], {})).to.equal(false);
  });
});
