/** The three categories of shared credit information, numbered as the contracts number them. */
export enum Category {
  BasicInfo = 1,
  OperatingStatus = 2,
  FinancingMortgage = 3,
}

export const CATEGORIES = [Category.BasicInfo, Category.OperatingStatus, Category.FinancingMortgage] as const;

/** Names used in files and on the command line. */
export const CATEGORY_SLUGS: Record<Category, string> = {
  [Category.BasicInfo]: "basic-info",
  [Category.OperatingStatus]: "operating-status",
  [Category.FinancingMortgage]: "financing-mortgage",
};

export const CATEGORY_NAMES: Record<Category, string> = {
  [Category.BasicInfo]: "企业基础信息 basic registration info",
  [Category.OperatingStatus]: "经营状态 operating status",
  [Category.FinancingMortgage]: "融资抵押信息 financing & mortgage info",
};

/** Parses "basic-info" / "operating-status" / "financing-mortgage" or 1-3. */
export function parseCategory(v: unknown): Category {
  if (typeof v === "number" && CATEGORIES.includes(v)) return v;
  const found = CATEGORIES.find((c) => CATEGORY_SLUGS[c] === v || String(c) === v);
  if (found === undefined) throw new Error(`category must be one of ${CATEGORIES.map((c) => CATEGORY_SLUGS[c]).join(", ")} (or 1-3), not ${JSON.stringify(v)}`);
  return found;
}

/** Bit of a category in an authorization's or query's category mask. */
export function categoryBit(c: Category): number {
  return 1 << c;
}

export function categoriesToMask(cs: readonly Category[]): number {
  return cs.reduce((m, c) => m | categoryBit(c), 0);
}

export function maskToCategories(mask: number): Category[] {
  return CATEGORIES.filter((c) => mask & categoryBit(c));
}
