/**
 * The three categories of credit information the chain shares (企业基础信息, 经营状态, 融资抵押信息), numbered as
 * the contracts number them, and the category masks of authorizations and queries that name several at once.
 * A category's number is also its record schema id (the first field of every encoding, see `encoding.ts`).
 */
export enum Category {
  BasicInfo = 1,
  OperatingStatus = 2,
  FinancingMortgage = 3,
}

export const CATEGORIES: readonly Category[] = [Category.BasicInfo, Category.OperatingStatus, Category.FinancingMortgage];

/** Names used in files and on the command line. */
export const CATEGORY_SLUGS: Readonly<Record<Category, string>> = {
  [Category.BasicInfo]: "basic-info",
  [Category.OperatingStatus]: "operating-status",
  [Category.FinancingMortgage]: "financing-mortgage",
};

/** Names for people, in the terms of the PBoC report and in English. */
export const CATEGORY_NAMES: Readonly<Record<Category, { readonly zh: string; readonly en: string }>> = {
  [Category.BasicInfo]: { zh: "企业基础信息", en: "basic registration info" },
  [Category.OperatingStatus]: { zh: "经营状态", en: "operating status" },
  [Category.FinancingMortgage]: { zh: "融资抵押信息", en: "financing & mortgage info" },
};

export function isCategory(v: unknown): v is Category {
  return v === Category.BasicInfo || v === Category.OperatingStatus || v === Category.FinancingMortgage;
}

/** Parses a slug ("basic-info" / "operating-status" / "financing-mortgage") or a number 1-3 (also as text). */
export function parseCategory(v: unknown): Category {
  if (isCategory(v)) return v;
  const found = CATEGORIES.find((c) => CATEGORY_SLUGS[c] === v || String(c) === v);
  if (found === undefined) throw new Error(`category must be one of ${CATEGORIES.map((c) => CATEGORY_SLUGS[c]).join(", ")} (or 1-3), got ${JSON.stringify(v)}`);
  return found;
}

/**
 * Bit of a category in a mask: 1 << category (so bit 0 is unused and masks read 0b1110 for "all three"), the
 * layout the consent and query contracts use.
 */
export function categoryBit(c: Category): number {
  if (!isCategory(c)) throw new RangeError(`not a category: ${String(c)}`);
  return 1 << c;
}

/** Every valid bit of a mask. */
export const ALL_CATEGORIES_MASK = CATEGORIES.reduce((m, c) => m | (1 << c), 0);

export function categoriesToMask(cs: readonly Category[]): number {
  return cs.reduce((m, c) => m | categoryBit(c), 0);
}

/** The categories of a mask, in number order. A mask with bits outside the categories is refused, not trimmed. */
export function maskToCategories(mask: number): Category[] {
  if (!Number.isInteger(mask) || mask < 0 || (mask & ~ALL_CATEGORIES_MASK) !== 0)
    throw new RangeError(`category mask 0b${mask.toString(2)} has bits outside the categories (valid bits: 0b${ALL_CATEGORIES_MASK.toString(2)})`);
  return CATEGORIES.filter((c) => (mask & categoryBit(c)) !== 0);
}
