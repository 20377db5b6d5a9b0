/**
 * Signed EIP-1559 (type 2) transactions without ethers' general `Transaction` object: the RLP encoding of
 * EIP-2718 / EIP-1559 written out for the one shape live replay sends (no value, empty access list),
 * hashed with the WebAssembly keccak and signed with libsecp256k1. The bytes are the ones ethers
 * serializes for the same fields and key; tests cross-check them.
 */
import { getBytes } from "ethers";
import { keccak256Bytes } from "../hash/keccak.js";
import type { FastSigningKey } from "./signing.js";

export interface Eip1559Fields {
  chainId: bigint;
  nonce: number;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  gasLimit: bigint;
  /** 20-byte address. */
  to: string;
  /** Calldata, 0x-hex. */
  data: string;
}

const EMPTY = new Uint8Array(0);
const TYPE_2 = 0x02;

/** Big-endian bytes of `v` without leading zeros (0 is the empty string), as RLP encodes integers. */
function intBytes(v: bigint): Uint8Array {
  if (v < 0n) throw new Error(`RLP: negative integer ${v}`);
  if (v === 0n) return EMPTY;
  let hex = v.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  return Buffer.from(hex, "hex");
}

/** Bytes without leading zero bytes (r and s as integers). */
function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

function lengthPrefix(short: number, long: number, length: number): Uint8Array {
  if (length < 56) return Uint8Array.of(short + length);
  const len = intBytes(BigInt(length));
  return Uint8Array.of(long + len.length, ...len);
}

/** RLP of a byte string. */
function rlpString(b: Uint8Array): Uint8Array {
  if (b.length === 1 && b[0] < 0x80) return b;
  return Buffer.concat([lengthPrefix(0x80, 0xb7, b.length), b]);
}

/** RLP of a list whose items are already RLP-encoded. */
function rlpList(items: readonly Uint8Array[]): Uint8Array {
  const body = Buffer.concat(items);
  return Buffer.concat([lengthPrefix(0xc0, 0xf7, body.length), body]);
}

/** The raw signed transaction (0x-hex), ready for eth_sendRawTransaction. */
export function signEip1559(tx: Eip1559Fields, key: FastSigningKey): string {
  const to = getBytes(tx.to);
  if (to.length !== 20) throw new Error(`transaction: "to" must be a 20-byte address, got ${tx.to}`);
  if (tx.maxPriorityFeePerGas > tx.maxFeePerGas)
    throw new Error(`transaction: priority fee ${tx.maxPriorityFeePerGas} is above the max fee ${tx.maxFeePerGas}`);
  const fields = [
    rlpString(intBytes(tx.chainId)),
    rlpString(intBytes(BigInt(tx.nonce))),
    rlpString(intBytes(tx.maxPriorityFeePerGas)),
    rlpString(intBytes(tx.maxFeePerGas)),
    rlpString(intBytes(tx.gasLimit)),
    rlpString(to),
    rlpString(EMPTY), // value 0
    rlpString(getBytes(tx.data)),
    rlpList([]), // access list
  ];
  const unsigned = Buffer.concat([Uint8Array.of(TYPE_2), rlpList(fields)]);
  const sig = key.signDigest(keccak256Bytes(unsigned));
  const signed = rlpList([...fields, rlpString(intBytes(BigInt(sig.recoveryId))), rlpString(stripZeros(sig.r)), rlpString(stripZeros(sig.s))]);
  return "0x02" + Buffer.from(signed).toString("hex");
}
