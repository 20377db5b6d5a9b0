/**
 * secp256k1 signatures of 32-byte digests for the hot paths of live replay, with libsecp256k1 compiled to
 * WebAssembly (the npm package `tiny-secp256k1`). The signatures are the ones ethers' `SigningKey.sign`
 * makes (RFC 6979 nonces, low s), about 2.7 times faster (README, Performance); tests cross-check them.
 */
import * as secp256k1 from "tiny-secp256k1";
import { Signature, getAddress, getBytes, hexlify, keccak256, type BytesLike, type SignatureLike } from "ethers";

/** What signs a digest: ethers' SigningKey, or the faster key below. */
export interface DigestSigner {
  sign(digest: string | Uint8Array): Signature;
}

export class FastSigningKey implements DigestSigner {
  readonly #key: Uint8Array;

  constructor(privateKey: string | Uint8Array) {
    const key = getBytes(privateKey);
    if (key.length !== 32 || !secp256k1.isPrivate(key)) throw new Error("not a secp256k1 private key (32 bytes in [1, n))");
    this.#key = key;
  }

  /** The signature's parts: r and s as 32 bytes each, and the recovery id (y parity) 0 or 1. */
  signDigest(digest: string | Uint8Array): { r: Uint8Array; s: Uint8Array; recoveryId: number } {
    const d = getBytes(digest);
    if (d.length !== 32) throw new Error(`a digest to sign must be 32 bytes, got ${d.length}`);
    const { signature, recoveryId } = secp256k1.signRecoverable(d, this.#key);
    return { r: signature.subarray(0, 32), s: signature.subarray(32, 64), recoveryId };
  }

  sign(digest: string | Uint8Array): Signature {
    const { r, s, recoveryId } = this.signDigest(digest);
    return Signature.from({ r: hexlify(r), s: hexlify(s), v: 27 + recoveryId });
  }
}

/**
 * The address whose key made `signature` over the 32-byte `digest`, recovered with libsecp256k1 (WebAssembly):
 * what ethers' `recoverAddress` returns (tests cross-check them), several times faster — the node service
 * recovers three signers for every query it relays. Throws on a signature that recovers no key.
 */
export function fastRecoverAddress(digest: BytesLike, signature: SignatureLike): string {
  const sig = Signature.from(signature);
  const d = getBytes(digest);
  if (d.length !== 32) throw new Error(`a digest to recover from must be 32 bytes, got ${d.length}`);
  const rs = new Uint8Array(64);
  rs.set(getBytes(sig.r), 0);
  rs.set(getBytes(sig.s), 32);
  const pub = secp256k1.recover(d, rs, sig.yParity, false);
  if (!pub) throw new Error("the signature recovers no public key");
  return getAddress("0x" + keccak256(pub.subarray(1)).slice(26));
}
