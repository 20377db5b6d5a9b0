import { expect } from "chai";
import { Random } from "../src/random.js";
import { loadSeeds } from "../src/seeds.js";
import { UsccError, generateUscc, homeCity, usccCheckChar, validateUscc } from "../src/uscc.js";

/**
 * Codes published on business licences and annual reports. That each passes the weighted mod-31 check is
 * itself evidence they are transcribed right (a wrong character passes with probability 1/31).
 */
const REAL = [
  { code: "914403001922038216", who: "Huawei Technologies Co., Ltd. (Shenzhen)" },
  { code: "9144030071526726XG", who: "Shenzhen Tencent Computer Systems Co., Ltd." },
  { code: "91330100716105852F", who: "Alibaba (China) Network Technology Co., Ltd. (Hangzhou)" },
  { code: "911000001000013428", who: "Bank of China Ltd." },
  { code: "91100000100003962T", who: "Industrial and Commercial Bank of China Ltd." },
  { code: "91110000710925243K", who: "China Mobile Communications Group Co., Ltd." },
];

function failure(code: string): UsccError {
  try {
    validateUscc(code);
  } catch (e) {
    expect(e).to.be.instanceOf(UsccError);
    return e as UsccError;
  }
  throw new Error(`${code} was accepted`);
}

describe("USCC (GB 32100-2015)", () => {
  const cities = loadSeeds().cities;

  it("accepts real published codes and parses their parts", () => {
    for (const { code } of REAL) expect(validateUscc(code).code).to.equal(code);
    expect(validateUscc("91330100716105852F")).to.deep.equal({
      code: "91330100716105852F",
      authority: "9",
      entityType: "1",
      divisionCode: "330100",
      organizationCode: "716105852",
      checkChar: "F",
    });
  });

  it("maps a code to its home city, and refuses codes outside the connected cities", () => {
    expect(homeCity("91330100716105852F", cities).nameEn).to.equal("Hangzhou");
    expect(() => homeCity("914403001922038216", cities)).to.throw(UsccError, /division code 440300 is not in a connected city/);
    const sh = "9131011560721" + "6345";
    expect(homeCity(sh + usccCheckChar(sh), cities).nameEn).to.equal("Shanghai");
  });

  it("names the length rule", () => {
    expect(failure("91330100716105852").rule).to.equal("length");
    expect(failure("91330100716105852F0").message).to.match(/18 characters, got 19/);
  });

  it("names a bad character and its position, including I, O, S, V and Z", () => {
    for (const [pos, ch] of [[9, "I"], [10, "O"], [12, "S"], [15, "V"], [17, "Z"], [11, "a"], [13, "-"]] as const) {
      const code = REAL[2].code.slice(0, pos - 1) + ch + REAL[2].code.slice(pos);
      const e = failure(code);
      expect([e.rule, e.position], code).to.deep.equal(["character", pos]);
      expect(e.message).to.include(`at position ${pos}`);
    }
  });

  it("names an undefined authority or entity type", () => {
    const withHead = (head: string) => {
      const first17 = head + REAL[2].code.slice(2, 17);
      return first17 + usccCheckChar(first17);
    };
    expect([failure(withHead("B1")).rule, failure(withHead("B1")).position]).to.deep.equal(["authority", 1]);
    const e = failure(withHead("94"));
    expect([e.rule, e.position]).to.deep.equal(["entity-type", 2]);
    expect(e.message).to.match(/not defined for authority '9' \(allowed: 1, 2, 3\)/);
    expect(validateUscc(withHead("52")).entityType).to.equal("2"); // civil affairs: private non-enterprise unit
  });

  it("names a bad division code", () => {
    const first17 = "91A30100716105852";
    expect(failure(first17 + "0").rule).to.equal("division");
    const bad = "91990100716105852";
    const e = failure(bad + usccCheckChar(bad));
    expect([e.rule, e.position]).to.deep.equal(["division", 3]);
  });

  it("names a wrong check character with the expected one", () => {
    const e = failure("91330100716105852T");
    expect([e.rule, e.position]).to.deep.equal(["check-character", 18]);
    expect(e.message).to.equal("USCC check character is 'T', expected 'F'");
  });

  it("does not demand the embedded organization code's own check digit", () => {
    // organization code MA1FL4T2 + any 9th character is fine as long as position 18 is right
    for (const last of ["0", "7", "X"]) {
      const first17 = `91310000MA1FL4T2${last}`;
      expect(() => validateUscc(first17 + usccCheckChar(first17))).not.to.throw();
    }
  });

  it("generates valid codes in every city, deterministically", () => {
    for (const city of cities) {
      const rng = new Random(`uscc-test/${city.code}`);
      const codes = Array.from({ length: 10_000 }, () => generateUscc(rng, city));
      for (const c of codes) expect(homeCity(c, cities).code).to.equal(city.code);
      expect(new Set(codes).size).to.be.greaterThan(9_990);
      const again = new Random(`uscc-test/${city.code}`);
      expect(generateUscc(again, city)).to.equal(codes[0]);
    }
  });
});

describe("Random", () => {
  it("is deterministic per seed and its forks are independent of use order", () => {
    const a = new Random("seed");
    const b = new Random("seed");
    expect(Array.from({ length: 5 }, () => a.nextU32())).to.deep.equal(Array.from({ length: 5 }, () => b.nextU32()));
    expect(new Random("seed").nextU32()).to.not.equal(new Random("seed2").nextU32());
    const x = new Random("s");
    x.nextU32();
    expect(x.fork("city").nextU32()).to.equal(new Random("s").fork("city").nextU32());
    expect(new Random("s").fork(1).nextU32()).to.not.equal(new Random("s").fork(2).nextU32());
  });

  it("stays in range and roughly uniform", () => {
    const r = new Random("range");
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const v = r.int(0, 9);
      expect(v).to.be.within(0, 9);
      counts[v]++;
    }
    for (const c of counts) expect(c).to.be.within(9_500, 10_500);
    expect(r.weighted([0, 1, 0])).to.equal(1);
  });
});
