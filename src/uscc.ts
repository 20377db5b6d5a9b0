/**
 * The Unified Social Credit Code (统一社会信用代码) of GB 32100-2015: 18 characters from the alphabet
 * 0-9 A-H J-N P-R T U W-Y (no I, O, S, V, Z):
 *
 *   1      registration-authority code (9 = market regulation (工商), 5 = civil affairs, 1 = institutional staffing …)
 *   2      entity-type code, valid per authority (after 9: 1 enterprise, 2 individual business, 3 farmers' co-operative)
 *   3-8    administrative-division code (GB/T 2260) of the registering authority: an enterprise's home city
 *   9-17   organization code (its own check digit is NOT demanded: many codes issued after 2015 fail it)
 *   18     check character: (31 - Σ value(c_i)·3^(i-1) mod 31) mod 31 over positions 1-17
 *
 * `contracts/libraries/USCC.sol` checks the alphabet and the check character on chain; this module also names
 * the authority, the type and the division and says which rule and position a bad code breaks.
 */
import type { City } from "./seeds.js";
import type { Random } from "./random.js";

export const USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const VALUE = new Map([...USCC_ALPHABET].map((c, i) => [c, i]));
/** Weights 3^(i-1) mod 31 of positions 1-17. */
export const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** Registration authorities (GB 32100-2015 Appendix A and its amendments) with their entity types. */
export const USCC_AUTHORITIES: Record<string, { name: string; types: Record<string, string> }> = {
  "1": { name: "机构编制 institutional staffing", types: { "1": "机关 government organ", "2": "事业单位 public institution", "3": "群众团体 mass organization", "9": "其他 other" } },
  "2": { name: "外交 foreign affairs", types: { "1": "外国常驻新闻机构 foreign news agency", "9": "其他 other" } },
  "3": {
    name: "司法行政 justice administration",
    types: { "1": "律师执业机构 law firm", "2": "公证处 notary office", "3": "基层法律服务所 legal service office", "4": "司法鉴定机构 forensic institution", "5": "仲裁委员会 arbitration commission", "9": "其他 other" },
  },
  "4": { name: "文化 culture", types: { "1": "外国在华文化中心 foreign cultural centre", "9": "其他 other" } },
  "5": { name: "民政 civil affairs", types: { "1": "社会团体 social organization", "2": "民办非企业单位 private non-enterprise unit", "3": "基金会 foundation", "9": "其他 other" } },
  "6": { name: "旅游 tourism", types: { "1": "外国旅游部门常驻代表机构 foreign tourism office", "2": "港澳台地区旅游部门常驻代表机构 HK/Macao/Taiwan tourism office", "9": "其他 other" } },
  "7": { name: "宗教 religious affairs", types: { "1": "宗教活动场所 place of worship", "2": "宗教院校 religious college", "9": "其他 other" } },
  "8": { name: "工会 trade unions", types: { "1": "基层工会 grassroots union", "9": "其他 other" } },
  "9": { name: "工商 market regulation", types: { "1": "企业 enterprise", "2": "个体工商户 individual business", "3": "农民专业合作社 farmers' co-operative" } },
  A: { name: "中央军委改革和编制办公室 military staffing", types: { "1": "军队事业单位 military public institution", "9": "其他 other" } },
  N: { name: "农业 agriculture", types: { "1": "组级集体经济组织 group collective", "2": "村级集体经济组织 village collective", "3": "乡镇级集体经济组织 township collective", "9": "其他 other" } },
  Y: { name: "其他 other authorities", types: { "1": "其他 other" } },
};

/** Province-level prefixes of GB/T 2260 (and 10 for national registration authorities). */
const PROVINCES = new Set(["10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"]);

/** A code that breaks a rule of GB 32100-2015; `position` is 1-based. */
export class UsccError extends Error {
  constructor(
    readonly rule: "length" | "character" | "authority" | "entity-type" | "division" | "check-character" | "city",
    readonly position: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = "UsccError";
  }
}

export interface ParsedUscc {
  code: string;
  authority: string;
  entityType: string;
  divisionCode: string;
  organizationCode: string;
  checkChar: string;
}

/** The check character of the first 17 characters (which must be in the alphabet). */
export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = VALUE.get(first17[i]);
    if (v === undefined) throw new UsccError("character", i + 1, `USCC character '${first17[i]}' at position ${i + 1} is not allowed`);
    sum += v * USCC_WEIGHTS[i];
  }
  return USCC_ALPHABET[(31 - (sum % 31)) % 31];
}

/** Throws a UsccError naming the rule and position, or returns the parsed code. */
export function validateUscc(code: string): ParsedUscc {
  if (typeof code !== "string" || code.length !== 18)
    throw new UsccError("length", undefined, `USCC must have 18 characters, got ${typeof code === "string" ? code.length : typeof code}`);
  for (let i = 0; i < 18; i++)
    if (!VALUE.has(code[i]))
      throw new UsccError(
        "character",
        i + 1,
        `USCC character '${code[i]}' at position ${i + 1} is not allowed (digits and capital letters without I, O, S, V, Z)`,
      );
  const authority = USCC_AUTHORITIES[code[0]];
  if (!authority) throw new UsccError("authority", 1, `USCC registration-authority code '${code[0]}' (position 1) is not defined`);
  if (!authority.types[code[1]])
    throw new UsccError(
      "entity-type",
      2,
      `USCC entity-type code '${code[1]}' (position 2) is not defined for authority '${code[0]}' (allowed: ${Object.keys(authority.types).join(", ")})`,
    );
  const division = code.slice(2, 8);
  for (let i = 2; i < 8; i++)
    if (code.charCodeAt(i) < 48 || code.charCodeAt(i) > 57)
      throw new UsccError("division", i + 1, `USCC division code (positions 3-8) must be digits, found '${code[i]}' at position ${i + 1}`);
  if (!PROVINCES.has(division.slice(0, 2)))
    throw new UsccError("division", 3, `USCC division code ${division} (positions 3-8) has no province ${division.slice(0, 2)} in GB/T 2260`);
  const expected = usccCheckChar(code.slice(0, 17));
  if (code[17] !== expected) throw new UsccError("check-character", 18, `USCC check character is '${code[17]}', expected '${expected}'`);
  return { code, authority: code[0], entityType: code[1], divisionCode: division, organizationCode: code.slice(8, 17), checkChar: code[17] };
}

/** The connected city an enterprise belongs to, by the prefix of its division code; throws for others. */
export function homeCity(code: string, cities: readonly City[]): City {
  const { divisionCode } = validateUscc(code);
  const city = cities.find((c) => divisionCode.startsWith(c.prefix));
  if (!city) throw new UsccError("city", 3, `USCC ${code}: division code ${divisionCode} is not in a connected city`);
  return city;
}

const ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/**
 * A valid code for an entity registered in `city` by market regulation: 88 % enterprises, 10 % individual
 * businesses, 2 % co-operatives; a district code under the city's prefix ("01"-"18" for a prefecture,
 * "0101"-"0118" for Shanghai); a random organization code. Deterministic for a given generator state.
 */
export function generateUscc(rng: Random, city: City): string {
  const r = rng.nextU32() % 100;
  const type = r < 88 ? "1" : r < 98 ? "2" : "3";
  const district = String(1 + (rng.nextU32() % 18)).padStart(2, "0");
  const division = city.prefix.length === 2 ? `${city.prefix}01${district}` : `${city.prefix}${district}`;
  let org = "";
  for (let i = 0; i < 9; i++) org += ORG_ALPHABET[rng.nextU32() % 31];
  const first17 = `9${type}${division}${org}`;
  return first17 + usccCheckChar(first17);
}
