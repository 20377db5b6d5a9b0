import { expect } from "chai";
import { Random, WeightedPicker } from "../src/random.js";
import { loadSeeds, type City } from "../src/seeds.js";
import {
  CITY_DISTRICTS,
  USCC_ALPHABET,
  USCC_AUTHORITIES,
  UsccError,
  generateUscc,
  homeCity,
  parseUscc,
  usccCheckChar,
  validateUscc,
  type UsccRule,
} from "../src/uscc.js";

/**
 * Published codes of real organizations. That each passes the mod-31 check is itself evidence it was transcribed
 * right: any single wrong character fails it. Sources: [p] the `pages` corpus (zh.wikipedia.org's Huawei article;
 * chinacheckup.com, "Unified Social Credit Code", 2018), [g] public GitHub files that list the code beside the
 * company's name and registered address.
 */
const REAL = [
  { code: "914403001922038216", who: "华为技术有限公司 Huawei Technologies (Shenzhen) [p]", city: undefined },
  { code: "9144030071526726XG", who: "Tencent Technology (Shenzhen) [p]", city: undefined },
  { code: "91110000710926094P", who: "中国石油化工股份有限公司 Sinopec (Beijing) [p]", city: undefined },
  { code: "91310000631696382C", who: "宝山钢铁股份有限公司 Baosteel (Shanghai) [p][g]", city: "Shanghai" },
  { code: "91330100716105852F", who: "阿里巴巴（中国）网络技术有限公司 Alibaba China Network Technology (Hangzhou) [g]", city: "Hangzhou" },
  { code: "91310000132260250X", who: "上海汽车集团股份有限公司 SAIC Motor (Shanghai) [g]", city: "Shanghai" },
  { code: "9131000010000595XD", who: "交通银行股份有限公司 Bank of Communications (Shanghai) [g]", city: "Shanghai" },
  { code: "91310101132224671B", who: "国网上海市电力公司 State Grid Shanghai Electric Power (Huangpu, Shanghai) [g]", city: "Shanghai" },
  { code: "913201911348723659", who: "南瑞集团有限公司 NARI Group (Nanjing, division 320191) [g]", city: "Nanjing" },
  { code: "91100000100003962T", who: "中国工商银行股份有限公司 ICBC (national registration 100000) [g]", city: undefined },
  { code: "12100000425006133D", who: "华东师范大学 East China Normal University (authority 1, public institution) [g]", city: undefined },
];
const ALIBABA = "91330100716105852F";

/** A valid code with the given first 8 characters (authority, type, division) and organization code. */
function withHead(head8: string, org = "716105852"): string {
  const first17 = head8 + org;
  return first17 + usccCheckChar(first17);
}

function failure(code: unknown): UsccError {
  try {
    validateUscc(code);
  } catch (e) {
    expect(e).to.be.instanceOf(UsccError);
    return e as UsccError;
  }
  throw new Error(`${String(code)} was accepted`);
}

function expectFailure(code: unknown, rule: UsccRule, position: number): UsccError {
  const e = failure(code);
  expect([e.rule, e.position], `${String(code)}: ${e.message}`).to.deep.equal([rule, position]);
  return e;
}

/** GB 11714 check digit of an organization code's first 8 characters (independent of src/uscc.ts). */
function orgCheckDigit(body: string): string {
  const w = [3, 7, 9, 10, 5, 8, 4, 2];
  let s = 0;
  for (let i = 0; i < 8; i++) s += parseInt(body[i], 36) * w[i];
  const c = 11 - (s % 11);
  return c === 10 ? "X" : c === 11 ? "0" : String(c);
}

describe("USCC (GB 32100-2015)", () => {
  const cities = loadSeeds().cities;
  const byName = (name: string): City => {
    const c = cities.find((x) => x.nameEn === name);
    if (!c) throw new Error(`no seed city ${name}`);
    return c;
  };

  describe("valid codes", () => {
    it("accepts real published codes and parses their parts", () => {
      for (const { code } of REAL) expect(() => validateUscc(code), code).not.to.throw();
      expect(parseUscc(ALIBABA)).to.deep.equal({
        code: ALIBABA,
        authority: "9",
        entityType: "1",
        divisionCode: "330100",
        organizationCode: "716105852",
        checkChar: "F",
      });
      expect(parseUscc("12100000425006133D")).to.include({ authority: "1", entityType: "2", divisionCode: "100000" });
    });

    it("computes the check character of the first 17 characters", () => {
      for (const { code } of REAL) expect(usccCheckChar(code.slice(0, 17))).to.equal(code[17]);
      expect(() => usccCheckChar("9133010071610585")).to.throw(UsccError, /first 17 characters, got 16/);
      expect(() => usccCheckChar("9133010071610585I")).to.throw(UsccError, /position 17/);
    });

    it("accepts every authority and entity type of the standard's table, and only those", () => {
      let accepted = 0;
      for (const a of USCC_ALPHABET)
        for (const t of USCC_ALPHABET) {
          const code = withHead(`${a}${t}320106`);
          const defined = USCC_AUTHORITIES[a]?.types[t] !== undefined;
          if (defined) {
            expect(() => validateUscc(code), code).not.to.throw();
            accepted++;
          } else expectFailure(code, USCC_AUTHORITIES[a] ? "entity-type" : "authority", USCC_AUTHORITIES[a] ? 2 : 1);
        }
      // 1:4 2:2 3:6 4:2 5:4 6:3 7:3 8:2 9:3 A:2 N:4 Y:1
      expect(accepted).to.equal(36);
    });

    it("does not demand the embedded organization code's own GB 11714 check digit", () => {
      // MA1FL4T2 has one right check digit; codes issued since 2015 often carry another, and are valid USCCs.
      for (const last of ["0", "7", "X", "Y"]) expect(() => validateUscc(withHead("91310000", `MA1FL4T2${last}`))).not.to.throw();
    });
  });

  describe("each broken rule is named with its position", () => {
    it("length", () => {
      expectFailure(ALIBABA.slice(0, 17), "length", 18);
      expect(expectFailure(ALIBABA + "0", "length", 19).message).to.equal("USCC must have 18 characters, got 19");
      expectFailure("", "length", 1);
      expectFailure(undefined, "length", 1);
      expectFailure(Number("91330100716105852"), "length", 1); // a number, not a code (written as text: the literal is beyond 2^53)
    });

    it("a character outside the alphabet, at every position, including I, O, S, V and Z", () => {
      for (let pos = 1; pos <= 18; pos++)
        for (const ch of ["I", "O", "S", "V", "Z", "a", "-", " ", "\u0661" /* Arabic-Indic one */, "１" /* full-width 1 */]) {
          const code = ALIBABA.slice(0, pos - 1) + ch + ALIBABA.slice(pos);
          const e = expectFailure(code, "character", pos);
          expect(e.message).to.include(`at position ${pos}`);
        }
    });

    it("an undefined registration authority", () => {
      for (const a of ["0", "B", "C", "X", "W"]) expectFailure(withHead(`${a}1330100`), "authority", 1);
      expect(failure(withHead("B1330100")).message).to.match(/registration-authority code 'B' \(position 1\) is not defined/);
    });

    it("an entity type the authority does not define", () => {
      for (const head of ["94", "90", "99", "Y2", "54", "A2", "N4", "82"]) expectFailure(withHead(`${head}330100`), "entity-type", 2);
      expect(failure(withHead("94330100")).message).to.match(/entity-type code '4' \(position 2\) is not defined for authority '9' \(allowed: 1, 2, 3\)/);
    });

    it("a division code that is not six digits of a GB/T 2260 code", () => {
      for (let pos = 3; pos <= 8; pos++) {
        const head = ("91330100".slice(0, pos - 1) + "A" + "91330100".slice(pos)).slice(0, 8);
        expectFailure(withHead(head), "division", pos);
      }
      for (const province of ["00", "09", "20", "30", "39", "47", "55", "66", "70", "83", "99"]) expectFailure(withHead(`91${province}0100`), "division", 3);
      expect(failure(withHead("91990100")).message).to.match(/990100 \(positions 3-8\): 99 is not a GB\/T 2260 province/);
      expectFailure(withHead("91100105"), "division", 5); // 10 is only the national 100000
      expectFailure(withHead("91320005"), "division", 7); // no county under a province-level code
      for (const ok of ["110000", "110105", "310115", "320591", "429004", "500101", "810000", "100000"])
        expect(() => validateUscc(withHead(`91${ok}`)), ok).not.to.throw();
    });

    it("a wrong check character, with the expected one", () => {
      const e = expectFailure("91330100716105852T", "check-character", 18);
      expect(e.message).to.equal("USCC check character is 'T', expected 'F'");
      for (const c of USCC_ALPHABET) if (c !== "F") expectFailure(ALIBABA.slice(0, 17) + c, "check-character", 18);
    });

    it("catches every single-character substitution in real codes", () => {
      // The weights are powers of 3, all non-zero mod the prime 31, so one changed character always changes the sum.
      let caught = 0;
      for (const { code } of REAL)
        for (let i = 0; i < 17; i++)
          for (const c of USCC_ALPHABET) {
            if (c === code[i]) continue;
            failure(code.slice(0, i) + c + code.slice(i + 1));
            caught++;
          }
      expect(caught).to.equal(REAL.length * 17 * 30);
    });
  });

  describe("home city", () => {
    it("maps real YRD codes to their cities and refuses codes from elsewhere", () => {
      for (const { code, city } of REAL.filter((r) => r.city !== undefined)) expect(homeCity(code, cities).nameEn, code).to.equal(city);
      for (const { code } of REAL.filter((r) => r.city === undefined)) {
        try {
          homeCity(code, cities);
          expect.fail(`${code} got a home city`);
        } catch (err) {
          expect(err).to.be.instanceOf(UsccError);
          expect([(err as UsccError).rule, (err as UsccError).position]).to.deep.equal(["city", 3]);
        }
      }
      expect(() => homeCity(withHead("91110105"), cities)).to.throw(UsccError, /^USCC 91110105\w{10}: division code 110105 is not in a connected city$/);
      expect(() => homeCity("914403001922038216", cities)).to.throw(UsccError, /division code 440300 is not in a connected city/);
      expect(() => homeCity(ALIBABA.slice(0, 17) + "T", cities)).to.throw(UsccError, /check character/);
    });

    it("maps the city-level code and every district of each of the 16 seed cities to that city", () => {
      expect(cities).to.have.length(16);
      for (const city of cities) {
        const districts = CITY_DISTRICTS[city.prefix];
        expect(districts, city.nameEn).to.not.equal(undefined);
        expect(districts.length, city.nameEn).to.be.at.least(5);
        for (const division of [city.prefix.padEnd(6, "0"), ...districts.map((d) => d.code)]) {
          expect(division.startsWith(city.prefix), division).to.equal(true);
          for (const org of ["716105852", "MA1MX0J8X"]) expect(homeCity(withHead(`91${division}`, org), cities).code, division).to.equal(city.code);
        }
      }
      // a neighbouring prefecture that is not connected: Xuzhou (3203), Huzhou (3305), Bengbu (3403)
      for (const d of ["320302", "330502", "340302"])
        expect(() => homeCity(withHead(`91${d}`), cities)).to.throw(UsccError, new RegExp(`division code ${d} is not in a connected city`));
      expect(homeCity(withHead("91310151"), cities).nameEn).to.equal("Shanghai"); // Chongming: every 31xxxx is Shanghai
    });
  });

  describe("generator", () => {
    it("generates 10,000 valid codes per city, all at home there, from the city's divisions, deterministically", function () {
      this.timeout(60_000);
      for (const city of cities) {
        const rng = new Random("uscc-test").fork(city.code);
        const codes = Array.from({ length: 10_000 }, () => generateUscc(rng, city));
        const divisions = new Set([city.prefix.padEnd(6, "0"), ...CITY_DISTRICTS[city.prefix].map((d) => d.code)]);
        const seen = new Set<string>();
        const types = { "1": 0, "2": 0, "3": 0 } as Record<string, number>;
        for (const c of codes) {
          const p = parseUscc(c);
          expect(p.authority).to.equal("9");
          types[p.entityType]++;
          expect(divisions.has(p.divisionCode), c).to.equal(true);
          seen.add(p.divisionCode);
          expect(orgCheckDigit(p.organizationCode), c).to.equal(p.organizationCode[8]);
          expect(homeCity(c, cities).code).to.equal(city.code);
        }
        expect(seen.size, `${city.nameEn} uses every division`).to.equal(divisions.size);
        expect(types["1"]).to.be.within(8_500, 9_100); // 88 %
        expect(types["2"]).to.be.within(800, 1_200); // 10 %
        expect(types["3"]).to.be.within(100, 300); // 2 %
        expect(new Set(codes).size).to.be.greaterThan(9_990);
        const again = new Random("uscc-test").fork(city.code);
        expect(Array.from({ length: 10_000 }, () => generateUscc(again, city))).to.deep.equal(codes);
      }
    });

    it("mixes legacy and post-2015 organization codes and honours the options", () => {
      const city = byName("Suzhou");
      const rng = new Random("uscc-options");
      const codes = Array.from({ length: 2_000 }, () => generateUscc(rng, city));
      const newStyle = codes.filter((c) => c.slice(8, 10) === "MA").length;
      expect(newStyle).to.be.within(1_150, 1_450); // 65 %
      const only = Array.from({ length: 500 }, () => generateUscc(rng, city, { typeWeights: [0, 0, 1], cityLevelShare: 1, newStyleShare: 0 }));
      for (const c of only) {
        expect(c.slice(0, 8), c).to.equal("93320500"); // co-operative, city-level bureau
        expect(/^\d{8}[\dX]$/.test(c.slice(8, 17)), c).to.equal(true); // legacy organization code: 8 digits + check
      }
      expect(() => generateUscc(rng, city, { cityLevelShare: 1.5 })).to.throw(RangeError, /cityLevelShare/);
      expect(() => generateUscc(rng, city, { typeWeights: [0, 0, 0] })).to.throw(RangeError, /typeWeights/);
      expect(() => generateUscc(rng, city, { serial: -1 })).to.throw(RangeError, /serial/);
    });

    it("gives distinct codes for distinct serials", () => {
      const city = byName("Shanghai");
      const rng = new Random("uscc-serial");
      const codes = new Set<string>();
      for (let serial = 0; serial < 100_000; serial++) codes.add(generateUscc(rng, city, { serial, typeWeights: [1, 0, 0], cityLevelShare: 1 }));
      expect(codes.size).to.equal(100_000);
      for (const c of [...codes].slice(0, 1000)) validateUscc(c);
    });

    it("builds districts for a city outside the table from its prefix", () => {
      const xuzhou: City = { ...byName("Nanjing"), code: "320300", prefix: "3203", nameEn: "Xuzhou", nameZh: "徐州" };
      const rng = new Random("uscc-other-city");
      for (let i = 0; i < 500; i++) expect(homeCity(generateUscc(rng, xuzhou), [xuzhou]).code).to.equal("320300");
    });
  });
});

describe("Random", () => {
  it("produces the pinned sequence for a pinned seed (same on every machine)", () => {
    const r = new Random("yrd-credit-chain");
    expect(Array.from({ length: 5 }, () => r.nextU32())).to.deep.equal([1144462663, 670351296, 2110896724, 979193756, 1972459615]);
  });

  it("is deterministic per seed, and different seeds differ", () => {
    const a = new Random("seed");
    const b = new Random("seed");
    expect(Array.from({ length: 1000 }, () => a.nextU32())).to.deep.equal(Array.from({ length: 1000 }, () => b.nextU32()));
    expect(new Random("seed").nextU32()).to.not.equal(new Random("seed2").nextU32());
    expect(new Random(42).nextU32()).to.equal(new Random("42").nextU32());
  });

  it("forks streams named by their path, independent of the parent's use", () => {
    const used = new Random("s");
    for (let i = 0; i < 100; i++) used.nextU32();
    const f1 = used.fork("320100");
    const f2 = new Random("s").fork("320100");
    expect(Array.from({ length: 50 }, () => f1.nextU32())).to.deep.equal(Array.from({ length: 50 }, () => f2.nextU32()));
    expect(new Random("s").fork("320100").fork(3).nextU32()).to.equal(new Random("s/320100/3").nextU32());
    expect(() => new Random("s").fork("a/b")).to.throw(RangeError, /label/);
    expect(() => new Random("s").fork("")).to.throw(RangeError, /label/);
    // sibling forks are uncorrelated: equal outputs at the same index are as rare as chance (1 in 2^32)
    const x = new Random("s").fork(1);
    const y = new Random("s").fork(2);
    let same = 0;
    for (let i = 0; i < 10_000; i++) if (x.nextU32() === y.nextU32()) same++;
    expect(same).to.equal(0);
  });

  it("draws integers in range, roughly uniformly", () => {
    const r = new Random("range");
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const v = r.int(0, 9);
      expect(Number.isInteger(v) && v >= 0 && v <= 9).to.equal(true);
      counts[v]++;
    }
    // chi-square with 9 degrees of freedom: 27.9 is the 0.1 % tail
    const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).to.be.below(27.9);
    expect(r.int(5, 5)).to.equal(5);
    expect(r.int(-3, -1)).to.be.within(-3, -1);
    expect(() => r.int(3, 2)).to.throw(RangeError);
    for (let i = 0; i < 1000; i++) {
      const f = r.nextFloat();
      expect(f >= 0 && f < 1).to.equal(true);
    }
  });

  it("picks, weighs and makes bytes", () => {
    const r = new Random("pick");
    const items = ["a", "b", "c"] as const;
    expect(new Set(Array.from({ length: 100 }, () => r.pick(items)))).to.have.all.keys("a", "b", "c");
    expect(() => r.pick([])).to.throw(RangeError);
    expect(r.weighted([0, 1, 0])).to.equal(1);
    const picker = new WeightedPicker([1, 3]);
    let ones = 0;
    for (let i = 0; i < 40_000; i++) ones += picker.pick(r);
    expect(ones).to.be.within(29_400, 30_600);
    expect(() => new WeightedPicker([0, 0])).to.throw(RangeError);
    expect(() => new WeightedPicker([1, -1])).to.throw(RangeError);

    const p = new Random("bytes");
    const q = new Random("bytes");
    const bytes = p.bytes(7);
    const v = q.nextU32();
    const w = q.nextU32();
    expect([...bytes]).to.deep.equal([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24, w & 255, (w >>> 8) & 255, (w >>> 16) & 255]);
    expect(new Random("bytes").bytes(0)).to.have.length(0);
  });
});
