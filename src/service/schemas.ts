/**
 * JSON schemas of every route's body, params and querystring (validated by Fastify with Ajv before a handler
 * runs; unknown fields are refused, not dropped). A failure answers 400 naming the field
 * (`body.records[0].enterprise`), see `app.ts`. Records get their full validation from `src/records` after
 * the shape check here.
 */
const HEX_BYTES = "^0x([0-9a-fA-F]{2})*$";
const hex = (maxLength: number) => ({ type: "string", pattern: HEX_BYTES, maxLength });
const USCC = { type: "string", minLength: 18, maxLength: 18 } as const;
const UINT64 = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** Most records in one submission. */
export const MAX_RECORDS_PER_SUBMISSION = 1000;

export const recordsBody = {
  type: "object",
  required: ["records"],
  additionalProperties: false,
  properties: {
    records: {
      type: "array",
      minItems: 1,
      maxItems: MAX_RECORDS_PER_SUBMISSION,
      items: {
        type: "object",
        required: ["category", "enterprise"],
        properties: { category: { type: ["string", "integer"] }, enterprise: { type: "string" } },
      },
    },
  },
} as const;

export const revocationsBody = {
  type: "object",
  required: ["revocations"],
  additionalProperties: false,
  properties: {
    revocations: {
      type: "array",
      minItems: 1,
      maxItems: MAX_RECORDS_PER_SUBMISSION,
      items: {
        type: "object",
        required: ["enterprise", "category", "version", "reason"],
        additionalProperties: false,
        properties: {
          enterprise: USCC,
          category: { type: ["string", "integer"] },
          version: { type: "integer", minimum: 1, maximum: 4294967295 },
          reason: { type: "integer", minimum: 1, maximum: 65535 },
        },
      },
    },
  },
} as const;

export const submissionParams = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: { id: { type: "integer", minimum: 1 } },
} as const;

export const relayBody = {
  type: "object",
  required: ["authorization", "signature", "requestTx"],
  additionalProperties: false,
  properties: {
    authorization: {
      type: "object",
      required: ["enterprise", "institution", "purpose", "categories", "notBefore", "notAfter", "nonce"],
      additionalProperties: false,
      properties: {
        enterprise: USCC,
        institution: { type: "integer", minimum: 1, maximum: 4294967295 },
        purpose: { type: "integer", minimum: 1, maximum: 4 },
        categories: { type: "integer", minimum: 2, maximum: 14, multipleOf: 2 },
        notBefore: UINT64,
        notAfter: UINT64,
        nonce: { type: "string", pattern: "^[0-9]{1,78}$" },
      },
    },
    signature: hex(4096),
    registerTx: hex(32768),
    requestTx: hex(32768),
  },
} as const;

export const queryParams = {
  type: "object",
  required: ["queryId"],
  additionalProperties: false,
  properties: { queryId: { type: "string", pattern: "^[1-9][0-9]{0,76}$" } },
} as const;

export const reportsBody = {
  type: "object",
  required: ["issuedAt", "signature"],
  additionalProperties: false,
  properties: { issuedAt: UINT64, signature: { type: "string", pattern: "^0x[0-9a-fA-F]{130}$" } },
} as const;

export const recordParams = {
  type: "object",
  required: ["enterprise", "category"],
  additionalProperties: false,
  properties: { enterprise: USCC, category: { type: "string", enum: ["basic-info", "operating-status", "financing-mortgage", "1", "2", "3"] } },
} as const;

export const recordQuery = {
  type: "object",
  additionalProperties: false,
  properties: { version: { type: "integer", minimum: 1, maximum: 4294967295 } },
} as const;

export const verifyBody = {
  type: "object",
  required: ["record", "proof"],
  additionalProperties: false,
  properties: { record: { type: "object" }, proof: { type: "object", required: ["format"] } },
} as const;

export const entryParams = {
  type: "object",
  required: ["sequence"],
  additionalProperties: false,
  properties: { sequence: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

export const emptyQuery = { type: "object", additionalProperties: false, properties: {} } as const;
