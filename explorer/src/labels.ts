// Labels in Chinese and English, as the command-line tools name things.
import type { TrailKindName } from "./api";

export const KIND: Record<TrailKindName, [string, string, string]> = {
  attestation: ["存证", "attestation", "blue"],
  batch: ["批量存证", "batch", "indigo"],
  supersede: ["更正", "correction", "cyan"],
  revocation: ["撤销", "revocation", "red"],
  "signer-bound": ["绑定签名人", "signer bound", "gray"],
  objection: ["异议", "objection", "orange"],
  "objection-resolved": ["异议处理", "objection answered", "yellow"],
  authorization: ["授权", "authorization", "grape"],
  "authorization-revoked": ["撤回授权", "authorization revoked", "pink"],
  query: ["查询", "query", "teal"],
  "query-fulfilled": ["查询完成", "query fulfilled", "green"],
  "query-denied": ["查询拒绝", "query denied", "red"],
  "query-expired": ["查询过期", "query expired", "gray"],
  "log-commit": ["日志承诺", "log commitment", "violet"],
  "logged-query": ["日志查询", "logged query", "lime"],
};

export const KINDS_OF_INSTITUTION: Record<string, string> = {
  bank: "银行 bank",
  guarantee: "担保 guarantee",
  microloan: "小贷 microloan",
  other: "其他 other",
};

export const CATEGORY: Record<number, string> = {
  1: "基本信息 basic-info",
  2: "经营状况 operating-status",
  3: "融资抵押 financing-mortgage",
};

export const PROVINCE_COLOR: Record<string, string> = {
  Shanghai: "#e03131",
  Jiangsu: "#1971c2",
  Zhejiang: "#2f9e44",
  Anhui: "#e8590c",
};

export const HEALTH_COLOR: Record<string, string> = { ok: "green", warn: "yellow", down: "red" };

export const iso = (t: number) => (t ? new Date(t * 1000).toISOString().replace(".000Z", "Z").replace("T", " ") : "");
export const short = (h: string, n = 10) => (h && h.length > n + 2 ? `${h.slice(0, n)}…` : h);
