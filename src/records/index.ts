export * from "./categories.js";
export * from "./commitment.js";
export * from "./encoding.js";
export * from "./schemas.js";
export * from "./files.js";
