/**
 * Calldata of the two institution calls a live replay signs most (registerAuthorization, requestQuery),
 * written out word by word: the bytes ethers' `Interface.encodeFunctionData` gives for the same arguments,
 * without its general ABI coder (ten times slower here). Tests cross-check the two.
 */
import type { Interface } from "ethers";
import { checkUint } from "../abi-words.js";
import type { Authorization } from "../consent/authorization.js";

export interface QueryRequestArgs {
  /** bytes18, 0x-hex. */
  enterprise: string;
  categories: number;
  purpose: number;
  /** bytes32, 0x-hex. */
  authorizationId: string;
}

/** A uint of `bits` bits as one ABI word (64 hex digits). */
function uintWord(v: number | bigint, bits: number, name: string): string {
  return checkUint(v, bits, `calldata: ${name}`).toString(16).padStart(64, "0");
}

/** A bytesN value (0x-hex of exactly n bytes) as one ABI word: left-aligned, zero-padded. */
function bytesWord(hex: string, n: number, name: string): string {
  if (!/^0x[0-9a-fA-F]*$/.test(hex) || hex.length !== 2 + 2 * n) throw new Error(`calldata: ${name} must be ${n} bytes of 0x-hex, got ${hex}`);
  return hex.slice(2).toLowerCase().padEnd(64, "0");
}

export class InstitutionCalldata {
  readonly #register: string;
  readonly #request: string;

  constructor(consents: Interface, desk: Interface) {
    this.#register = consents.getFunction("registerAuthorization")!.selector;
    this.#request = desk.getFunction("requestQuery")!.selector;
  }

  /** registerAuthorization(Authorization a, bytes signature): the static tuple inline, then the bytes. */
  registerAuthorization(a: Authorization, signature: string): string {
    if (!/^0x([0-9a-fA-F]{2})*$/.test(signature)) throw new Error(`calldata: signature must be 0x-hex bytes, got ${signature}`);
    const sig = signature.slice(2).toLowerCase();
    const length = sig.length / 2;
    return (
      this.#register +
      bytesWord(a.enterprise, 18, "enterprise") +
      uintWord(a.institution, 32, "institution") +
      uintWord(a.purpose, 8, "purpose") +
      uintWord(a.categories, 8, "categories") +
      uintWord(a.notBefore, 64, "notBefore") +
      uintWord(a.notAfter, 64, "notAfter") +
      uintWord(a.nonce, 256, "nonce") +
      uintWord(8 * 32, 256, "offset") + // the bytes start after the 7 tuple words and this offset word
      uintWord(length, 256, "length") +
      sig.padEnd(Math.ceil(length / 32) * 64, "0")
    );
  }

  /** requestQuery(QueryRequest r): a static tuple, inline. */
  requestQuery(r: QueryRequestArgs): string {
    return (
      this.#request +
      bytesWord(r.enterprise, 18, "enterprise") +
      uintWord(r.categories, 8, "categories") +
      uintWord(r.purpose, 8, "purpose") +
      bytesWord(r.authorizationId, 32, "authorizationId")
    );
  }
}
