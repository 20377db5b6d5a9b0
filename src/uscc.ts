/**
 * The Unified Social Credit Code (统一社会信用代码) of GB 32100-2015 (with amendment XG1-2016): 18 characters
 * from the 31-character alphabet 0-9 A-H J-N P-R T U W-Y (no I, O, S, V, Z, which read like 1, 0, 5, U, 2).
 *
 *   pos 1     registration-authority code (登记管理部门代码), see USCC_AUTHORITIES
 *   pos 2     entity-type code (机构类别代码), valid per authority (after 9: 1 enterprise, 2 individual business,
 *             3 farmers' co-operative)
 *   pos 3-8   administrative-division code (GB/T 2260) of the registering authority: an enterprise's home city
 *   pos 9-17  subject identifier = the organization code of GB 11714
 *   pos 18    check character (GB/T 17710 style, mod 31): value(c18) = (31 - Σ value(c_i)·w_i mod 31) mod 31,
 *             w_i = 3^(i-1) mod 31 = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28 for i = 1..17
 *
 * What is checked and what is not:
 * - the alphabet, the authority and entity-type table, the shape of the division code (six digits, a GB/T 2260
 *   province 11-82 or 10 for a national authority, no county part under a province-level code) and the check
 *   character;
 * - NOT whether the division still exists (codes are for life: a Hangzhou company registered in the former
 *   Xiacheng district, 330103, keeps that code after the 2021 merger), and NOT the GB 11714 check digit of the
 *   embedded organization code, which many codes issued since 2015 ("MA…") do not satisfy.
 *
 * `contracts/libraries/USCC.sol` checks the alphabet and the check character on chain; every code this module
 * accepts, the contract accepts. Hot paths (`usccCheckChar`, `generateUscc`) use lookup tables, no regexes.
 */
import type { City } from "./seeds.js";
import type { Random } from "./random.js";

export const USCC_LENGTH = 18;
export const USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/** Weights 3^(i-1) mod 31 of positions 1-17. */
export const USCC_WEIGHTS: readonly number[] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** value + 1 of each ASCII character in the alphabet, 0 for every other (so a zeroed table means "not allowed"). */
const VALUE_PLUS_ONE = new Uint8Array(128);
for (let i = 0; i < USCC_ALPHABET.length; i++) VALUE_PLUS_ONE[USCC_ALPHABET.charCodeAt(i)] = i + 1;
const ALPHABET_CODES = Uint8Array.from(USCC_ALPHABET, (c) => c.charCodeAt(0));

/** Value 0-30 of the character at `i`, or -1 if it is not in the alphabet. */
function valueAt(code: string, i: number): number {
  const c = code.charCodeAt(i);
  return c < 128 ? VALUE_PLUS_ONE[c] - 1 : -1;
}

/**
 * Registration authorities and their entity types, GB 32100-2015 Table 1 as amended by XG1-2016 (which added
 * A, the Central Military Commission's staffing office, and N, agriculture). "Y" (other authorities) has no
 * subdivision: its entity type is always 1.
 */
export const USCC_AUTHORITIES: Readonly<Record<string, { readonly name: string; readonly types: Readonly<Record<string, string>> }>> = {
  "1": {
    name: "机构编制 institutional staffing",
    types: { "1": "机关 government organ", "2": "事业单位 public institution", "3": "中央编办直接管理机构编制的群众团体 mass organization", "9": "其他 other" },
  },
  "2": { name: "外交 foreign affairs", types: { "1": "外国常驻新闻机构 resident foreign news agency", "9": "其他 other" } },
  "3": {
    name: "司法行政 justice administration",
    types: {
      "1": "律师执业机构 law firm",
      "2": "公证处 notary office",
      "3": "基层法律服务所 legal service office",
      "4": "司法鉴定机构 forensic institution",
      "5": "仲裁委员会 arbitration commission",
      "9": "其他 other",
    },
  },
  "4": { name: "文化 culture", types: { "1": "外国在华文化中心 foreign cultural centre", "9": "其他 other" } },
  "5": {
    name: "民政 civil affairs",
    types: { "1": "社会团体 social organization", "2": "民办非企业单位 private non-enterprise unit", "3": "基金会 foundation", "9": "其他 other" },
  },
  "6": {
    name: "旅游 tourism",
    types: {
      "1": "外国旅游部门常驻代表机构 foreign tourism office",
      "2": "港澳台地区旅游部门常驻内地(大陆)代表机构 HK/Macao/Taiwan tourism office",
      "9": "其他 other",
    },
  },
  "7": { name: "宗教 religious affairs", types: { "1": "宗教活动场所 place of worship", "2": "宗教院校 religious college", "9": "其他 other" } },
  "8": { name: "工会 trade unions", types: { "1": "基层工会 grassroots union", "9": "其他 other" } },
  "9": {
    name: "工商 market regulation",
    types: { "1": "企业 enterprise", "2": "个体工商户 individual business", "3": "农民专业合作社 farmers' co-operative" },
  },
  A: { name: "中央军委改革和编制办公室 military staffing", types: { "1": "军队事业单位 military public institution", "9": "其他 other" } },
  N: {
    name: "农业 agriculture",
    types: {
      "1": "组级集体经济组织 group collective",
      "2": "村级集体经济组织 village collective",
      "3": "乡镇级集体经济组织 township collective",
      "9": "其他 other",
    },
  },
  Y: { name: "其他 other authorities", types: { "1": "其他 other" } },
};

/** GB/T 2260 province-level codes (incl. 71 Taiwan, 81 Hong Kong, 82 Macao), plus 10 for national authorities (division 100000). */
const PROVINCES = new Set([
  "10",
  "11",
  "12",
  "13",
  "14",
  "15",
  "21",
  "22",
  "23",
  "31",
  "32",
  "33",
  "34",
  "35",
  "36",
  "37",
  "41",
  "42",
  "43",
  "44",
  "45",
  "46",
  "50",
  "51",
  "52",
  "53",
  "54",
  "61",
  "62",
  "63",
  "64",
  "65",
  "71",
  "81",
  "82",
]);

/** The rule of GB 32100-2015 a code breaks, or "city" when a valid code is outside the connected cities. */
export type UsccRule = "length" | "character" | "authority" | "entity-type" | "division" | "check-character" | "city";

/** A code that breaks a rule of GB 32100-2015. `position` is the 1-based position of the offending character. */
export class UsccError extends Error {
  constructor(
    readonly rule: UsccRule,
    readonly position: number,
    message: string,
  ) {
    super(message);
    this.name = "UsccError";
  }
}

/** The parts of a valid code. */
export interface ParsedUscc {
  code: string;
  /** Position 1, a key of USCC_AUTHORITIES. */
  authority: string;
  /** Position 2, a key of the authority's types. */
  entityType: string;
  /** Positions 3-8, e.g. "320106". */
  divisionCode: string;
  /** Positions 9-17 (GB 11714 organization code). */
  organizationCode: string;
  /** Position 18. */
  checkChar: string;
}

/** The check character of the first 17 characters of a code. */
export function usccCheckChar(first17: string): string {
  if (first17.length !== 17)
    throw new UsccError("length", Math.min(first17.length, 17) + 1, `usccCheckChar needs the first 17 characters, got ${first17.length}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = valueAt(first17, i);
    if (v < 0) throw characterError(first17, i);
    sum += v * USCC_WEIGHTS[i];
  }
  return USCC_ALPHABET[(31 - (sum % 31)) % 31];
}

function characterError(code: string, i: number): UsccError {
  return new UsccError(
    "character",
    i + 1,
    `USCC character ${JSON.stringify(code[i])} at position ${i + 1} is not allowed (digits and capital letters without I, O, S, V, Z)`,
  );
}

/** Throws a UsccError naming the rule and the position unless `code` is a valid USCC. */
export function validateUscc(code: unknown): asserts code is string {
  parseUscc(code);
}

/** The parts of a valid code; throws a UsccError naming the rule and the position otherwise. */
export function parseUscc(code: unknown): ParsedUscc {
  if (typeof code !== "string") throw new UsccError("length", 1, `USCC must be a string of 18 characters, got ${code === null ? "null" : typeof code}`);
  // The first position that is missing (too short) or extra (too long).
  if (code.length !== USCC_LENGTH) throw new UsccError("length", Math.min(code.length, USCC_LENGTH) + 1, `USCC must have 18 characters, got ${code.length}`);
  let sum = 0;
  for (let i = 0; i < USCC_LENGTH; i++) {
    const v = valueAt(code, i);
    if (v < 0) throw characterError(code, i);
    if (i < 17) sum += v * USCC_WEIGHTS[i];
  }
  const authority = USCC_AUTHORITIES[code[0]];
  if (authority === undefined)
    throw new UsccError(
      "authority",
      1,
      `USCC registration-authority code '${code[0]}' (position 1) is not defined (allowed: ${Object.keys(USCC_AUTHORITIES).join(", ")})`,
    );
  if (authority.types[code[1]] === undefined)
    throw new UsccError(
      "entity-type",
      2,
      `USCC entity-type code '${code[1]}' (position 2) is not defined for authority '${code[0]}' (allowed: ${Object.keys(authority.types).join(", ")})`,
    );
  const division = code.slice(2, 8);
  for (let i = 2; i < 8; i++) {
    const c = code.charCodeAt(i);
    if (c < 48 || c > 57)
      throw new UsccError("division", i + 1, `USCC division code (positions 3-8) must be six digits, found '${code[i]}' at position ${i + 1}`);
  }
  const province = division.slice(0, 2);
  if (!PROVINCES.has(province)) throw new UsccError("division", 3, `USCC division code ${division} (positions 3-8): ${province} is not a GB/T 2260 province`);
  if (province === "10" && division !== "100000")
    throw new UsccError("division", 5, `USCC division code ${division} (positions 3-8): national authorities use 100000`);
  if (division[2] === "0" && division[3] === "0" && (division[4] !== "0" || division[5] !== "0"))
    throw new UsccError(
      "division",
      7,
      `USCC division code ${division} (positions 3-8): a province-level code (${province}00xx) has no county part in GB/T 2260`,
    );
  const expected = USCC_ALPHABET[(31 - (sum % 31)) % 31];
  if (code[17] !== expected) throw new UsccError("check-character", 18, `USCC check character is '${code[17]}', expected '${expected}'`);
  return { code, authority: code[0], entityType: code[1], divisionCode: division, organizationCode: code.slice(8, 17), checkChar: code[17] };
}

/**
 * The connected city an enterprise belongs to: the city whose division-code prefix (e.g. "31" for Shanghai,
 * "3201" for Nanjing) starts positions 3-8 of its code. Throws a UsccError for invalid codes and, with rule
 * "city", for codes registered outside the connected cities.
 */
export function homeCity(code: string, cities: readonly City[]): City {
  const { divisionCode } = parseUscc(code);
  let found: City | undefined;
  for (const c of cities) if (divisionCode.startsWith(c.prefix) && (found === undefined || c.prefix.length > found.prefix.length)) found = c;
  if (found === undefined) throw new UsccError("city", 3, `USCC ${code}: division code ${divisionCode} is not in a connected city`);
  return found;
}

/**
 * County-level divisions (GB/T 2260, as published by the Ministry of Civil Affairs for 2023) of the 16 seed
 * cities, keyed by city prefix: the districts an enterprise of that city is registered in today. Used only to
 * generate real-looking codes; validation does not consult it.
 */
const DISTRICT_TABLE: Readonly<Record<string, string>> = {
  "31": "310101 黄浦 310104 徐汇 310105 长宁 310106 静安 310107 普陀 310109 虹口 310110 杨浦 310112 闵行 310113 宝山 310114 嘉定 310115 浦东新区 310116 金山 310117 松江 310118 青浦 310120 奉贤 310151 崇明",
  "3201": "320102 玄武 320104 秦淮 320105 建邺 320106 鼓楼 320111 浦口 320113 栖霞 320114 雨花台 320115 江宁 320116 六合 320117 溧水 320118 高淳",
  "3202": "320205 锡山 320206 惠山 320211 滨湖 320213 梁溪 320214 新吴 320281 江阴 320282 宜兴",
  "3204": "320402 天宁 320404 钟楼 320411 新北 320412 武进 320413 金坛 320481 溧阳",
  "3205": "320505 虎丘 320506 吴中 320507 相城 320508 姑苏 320509 吴江 320581 常熟 320582 张家港 320583 昆山 320585 太仓",
  "3206": "320612 通州 320613 崇川 320614 海门 320623 如东 320681 启东 320682 如皋 320685 海安",
  "3210": "321002 广陵 321003 邗江 321012 江都 321023 宝应 321081 仪征 321084 高邮",
  "3213": "321302 宿城 321311 宿豫 321322 沭阳 321323 泗阳 321324 泗洪",
  "3301":
    "330102 上城 330105 拱墅 330106 西湖 330108 滨江 330109 萧山 330110 余杭 330111 富阳 330112 临安 330113 临平 330114 钱塘 330122 桐庐 330127 淳安 330182 建德",
  "3302": "330203 海曙 330205 江北 330206 北仑 330211 镇海 330212 鄞州 330213 奉化 330225 象山 330226 宁海 330281 余姚 330282 慈溪",
  "3303": "330302 鹿城 330303 龙湾 330304 瓯海 330305 洞头 330324 永嘉 330326 平阳 330327 苍南 330328 文成 330329 泰顺 330381 瑞安 330382 乐清 330383 龙港",
  "3304": "330402 南湖 330411 秀洲 330421 嘉善 330424 海盐 330481 海宁 330482 平湖 330483 桐乡",
  "3306": "330602 越城 330603 柯桥 330604 上虞 330624 新昌 330681 诸暨 330683 嵊州",
  "3310": "331002 椒江 331003 黄岩 331004 路桥 331022 三门 331023 天台 331024 仙居 331081 温岭 331082 临海 331083 玉环",
  "3401": "340102 瑶海 340103 庐阳 340104 蜀山 340111 包河 340121 长丰 340122 肥东 340123 肥西 340124 庐江 340181 巢湖",
  "3402": "340202 镜湖 340207 鸠江 340209 弋江 340210 湾沚 340212 繁昌 340223 南陵 340281 无为",
};

/** The county-level divisions of a seed city, by its prefix: [{ code: "320106", name: "鼓楼" }, …]. */
export const CITY_DISTRICTS: Readonly<Record<string, readonly { readonly code: string; readonly name: string }[]>> = Object.fromEntries(
  Object.entries(DISTRICT_TABLE).map(([prefix, list]) => {
    const words = list.split(" ");
    const districts = [];
    for (let i = 0; i < words.length; i += 2) districts.push({ code: words[i], name: words[i + 1] });
    return [prefix, districts];
  }),
);

/** Options of `generateUscc`. */
export interface UsccGeneratorOptions {
  /** Relative weights of entity types 1 (enterprise), 2 (individual business), 3 (farmers' co-operative). */
  typeWeights?: readonly [number, number, number];
  /** Share of codes issued by the city-level authority (division xxxx00, 310000 for Shanghai) rather than a district's. */
  cityLevelShare?: number;
  /** Share of post-2015 organization codes ("MA" + 7 characters) rather than legacy 8 digits + check digit. */
  newStyleShare?: number;
  /**
   * A serial number 0 <= serial < 10^8 of the entity within its city. With it, the organization code's body is a
   * fixed permutation of the serial, so different serials never give the same code; without it, the body is drawn
   * at random and codes can repeat (a few thousand duplicates among 23M codes).
   */
  serial?: number;
}

/**
 * Modelling choices, not published figures: most subjects of an enterprise credit chain are enterprises; one code
 * in ten is issued by the city-level bureau; two thirds of enterprises were registered after the 2015 reform.
 */
export const DEFAULT_USCC_GENERATOR: Required<Omit<UsccGeneratorOptions, "serial">> = { typeWeights: [88, 10, 2], cityLevelShare: 0.1, newStyleShare: 0.65 };

/** Per city: the division codes to draw from and each one's contribution to the check sum (positions 3-8). */
interface DivisionTable {
  codes: Uint8Array[];
  partialSums: number[];
}
const divisionTables = new Map<string, DivisionTable>();

function divisionTable(city: City): DivisionTable {
  let t = divisionTables.get(city.prefix);
  if (t) return t;
  const cityLevel = city.prefix.padEnd(6, "0");
  // Cities outside the table: real-looking district suffixes 02-20 under the prefix (0102-0120 for a 2-digit prefix).
  const districts =
    CITY_DISTRICTS[city.prefix]?.map((d) => d.code) ??
    Array.from({ length: 19 }, (_, i) => (city.prefix.length === 2 ? `${city.prefix}01` : city.prefix) + String(i + 2).padStart(2, "0"));
  const all = [cityLevel, ...districts];
  for (const d of all) {
    const probe = `91${d}000000000`;
    parseUscc(probe + usccCheckChar(probe)); // a bad table entry or prefix fails here, once, not in 23M codes
  }
  t = {
    codes: all.map((d) => Uint8Array.from(d, (c) => c.charCodeAt(0))),
    partialSums: all.map((d) => {
      let s = 0;
      for (let i = 0; i < 6; i++) s += (d.charCodeAt(i) - 48) * USCC_WEIGHTS[i + 2];
      return s;
    }),
  };
  divisionTables.set(city.prefix, t);
  return t;
}

/** GB 11714 weights of the 8 body characters of an organization code. */
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
/** GB 11714 value of each alphabet character, by USCC value: digits 0-9, letters by their place in A-Z (A=10 … Y=34). */
const ORG_VALUE = Uint8Array.from(USCC_ALPHABET, (c) => (c <= "9" ? c.charCodeAt(0) - 48 : c.charCodeAt(0) - 55));
const V_M = USCC_ALPHABET.indexOf("M");
const V_A = USCC_ALPHABET.indexOf("A");
const V_X = USCC_ALPHABET.indexOf("X");
const buf = new Uint8Array(USCC_LENGTH);
/** Sizes of the organization-code body spaces and the multipliers of their affine permutations (coprime, < 2^22 so a product stays below 2^53). */
const NEW_STYLE_SPACE = 31 ** 6;
const LEGACY_SPACE = 10 ** 8;
const NEW_STYLE_MUL = 3_141_597;
const LEGACY_MUL = 2_718_283;
export const MAX_USCC_SERIAL = LEGACY_SPACE - 1;

function checkOptions(o: UsccGeneratorOptions): void {
  const w = o.typeWeights;
  if (w !== undefined && (w.length !== 3 || w.some((x) => !(x >= 0) || !Number.isFinite(x)) || w[0] + w[1] + w[2] <= 0))
    throw new RangeError(`generateUscc: typeWeights must be three finite weights >= 0, not all 0, got ${JSON.stringify(w)}`);
  for (const k of ["cityLevelShare", "newStyleShare"] as const) {
    const v = o[k];
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`generateUscc: ${k} must be in [0, 1], got ${v}`);
  }
  if (o.serial !== undefined && !(Number.isSafeInteger(o.serial) && o.serial >= 0 && o.serial <= MAX_USCC_SERIAL))
    throw new RangeError(`generateUscc: serial must be an integer in [0, ${MAX_USCC_SERIAL}], got ${o.serial}`);
}

/**
 * A valid code of an entity registered by market regulation (authority 9) in `city`: entity type 1, 2 or 3 by
 * `typeWeights`; the city-level division or one of its districts (uniformly); an organization code in the
 * legacy form (8 digits + GB 11714 check digit) or the post-2015 form ("MA" + 6 characters + check digit).
 * Deterministic: the same generator state and options give the same code. Pass `serial` for codes that are
 * distinct by construction (see UsccGeneratorOptions).
 */
export function generateUscc(rng: Random, city: City, options?: UsccGeneratorOptions): string {
  let o: UsccGeneratorOptions & typeof DEFAULT_USCC_GENERATOR = DEFAULT_USCC_GENERATOR;
  if (options !== undefined) {
    checkOptions(options);
    o = { ...DEFAULT_USCC_GENERATOR, ...options };
  }
  const table = divisionTable(city);
  const [w1, w2, w3] = o.typeWeights;
  const r = rng.nextFloat() * (w1 + w2 + w3);
  const type = r < w1 ? 1 : r < w1 + w2 ? 2 : 3;
  const u = rng.nextFloat();
  const d = u < o.cityLevelShare ? 0 : 1 + Math.floor(((u - o.cityLevelShare) / (1 - o.cityLevelShare)) * (table.codes.length - 1));
  const newStyle = rng.nextFloat() < o.newStyleShare;

  buf[0] = ALPHABET_CODES[9];
  buf[1] = ALPHABET_CODES[type];
  buf.set(table.codes[d], 2);
  // The check sums are accumulated while drawing, so no character is looked up twice.
  let sum = 9 * USCC_WEIGHTS[0] + type * USCC_WEIGHTS[1] + table.partialSums[d];
  let orgSum = 0;
  const serial = o.serial;
  // With a serial, the body's digits (base 31 after "MA", base 10 for legacy codes) are those of a permuted serial.
  let rest = serial === undefined ? 0 : newStyle ? (serial * NEW_STYLE_MUL + 7) % NEW_STYLE_SPACE : (serial * LEGACY_MUL + 11) % LEGACY_SPACE;
  for (let k = 0; k < 8; k++) {
    let v: number;
    if (newStyle && k < 2) v = k === 0 ? V_M : V_A;
    else if (serial === undefined) v = newStyle ? rng.nextU32() % 31 : rng.nextU32() % 10;
    else {
      const radix = newStyle ? 31 : 10;
      v = rest % radix;
      rest = (rest - v) / radix;
    }
    buf[8 + k] = ALPHABET_CODES[v];
    orgSum += ORG_VALUE[v] * ORG_WEIGHTS[k];
    sum += v * USCC_WEIGHTS[8 + k];
  }
  const c9 = 11 - (orgSum % 11); // GB 11714: 10 is written X, 11 is written 0
  const v9 = c9 === 10 ? V_X : c9 === 11 ? 0 : c9;
  buf[16] = ALPHABET_CODES[v9];
  sum += v9 * USCC_WEIGHTS[16];
  buf[17] = ALPHABET_CODES[(31 - (sum % 31)) % 31];
  return String.fromCharCode(
    buf[0],
    buf[1],
    buf[2],
    buf[3],
    buf[4],
    buf[5],
    buf[6],
    buf[7],
    buf[8],
    buf[9],
    buf[10],
    buf[11],
    buf[12],
    buf[13],
    buf[14],
    buf[15],
    buf[16],
    buf[17],
  );
}
