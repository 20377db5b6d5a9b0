/**
 * Credit records: categories → schemas and validation → canonical encoding → salted commitment and Merkle leaf
 * (one file each, in that order), plus reading record files.
 */
export * from "./categories.js";
export * from "./schemas.js";
export * from "./encoding.js";
export * from "./commitment.js";
export * from "./files.js";
