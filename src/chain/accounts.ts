/**
 * Who signs for whom. The network's accounts (the in-process chain and `hardhat node` derive them from the
 * public test mnemonic in hardhat.config.ts) are assigned by index: 0 deployer, 1 regulator, 2..26 the
 * operators of nodes 1..25 in seeds/nodes.json order. Institutions get keys of their own, derived from a
 * seed string (default: public and for testing only), so that 899 of them need no pre-funded accounts.
 */
import { HDNodeWallet, Wallet, keccak256, solidityPacked, toUtf8Bytes } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ChainConnection } from "./connection.js";

export const DEPLOYER_INDEX = 0;
export const REGULATOR_INDEX = 1;
export const FIRST_OPERATOR_INDEX = 2;

/** Default seed of institution keys: public, for local chains only. Override with YRD_INSTITUTION_KEY_SEED. */
export const DEFAULT_INSTITUTION_KEY_SEED = "yrd-credit-chain institution keys (test only)";

export interface Roles {
  deployer: HardhatEthersSigner;
  regulator: HardhatEthersSigner;
  /** operators[i] acts for node id i + 1. */
  operators: HardhatEthersSigner[];
}

/** Assigns the network's accounts to roles; fails clearly if the network has too few accounts. */
export async function roles(conn: ChainConnection, nodeCount: number): Promise<Roles> {
  const signers = await conn.ethers.getSigners();
  const needed = FIRST_OPERATOR_INDEX + nodeCount;
  if (signers.length < needed)
    throw new Error(`network ${conn.networkName} has ${signers.length} accounts; ${needed} are needed (deployer, regulator, ${nodeCount} node operators)`);
  return {
    deployer: signers[DEPLOYER_INDEX],
    regulator: signers[REGULATOR_INDEX],
    operators: signers.slice(FIRST_OPERATOR_INDEX, needed),
  };
}

export function institutionKeySeed(): string {
  return process.env.YRD_INSTITUTION_KEY_SEED ?? DEFAULT_INSTITUTION_KEY_SEED;
}

/** The key of institution number `index` (1-based, as its registry id on a fresh deployment). */
export function institutionWallet(index: number, seed: string = institutionKeySeed()): Wallet {
  if (!Number.isSafeInteger(index) || index < 1) throw new Error(`institution index must be ≥ 1, got ${index}`);
  return new Wallet(keccak256(solidityPacked(["bytes", "uint256"], [toUtf8Bytes(seed), index])));
}

interface HdAccounts {
  mnemonic: { get(): Promise<string> };
  passphrase?: { get(): Promise<string> };
  path: string;
  initialIndex: number;
}

/**
 * The private key of account `index` of the connection's network when its accounts come from a mnemonic this
 * process has (Hardhat's HD accounts, as the `yrd` network's), and only if it is the key of `address`;
 * otherwise undefined (the provider keeps signing).
 */
export async function hdAccountKey(conn: ChainConnection, index: number, address: string): Promise<string | undefined> {
  const accounts = (conn as unknown as { networkConfig?: { accounts?: unknown } }).networkConfig?.accounts as Partial<HdAccounts> | undefined;
  if (!accounts || typeof accounts !== "object" || typeof accounts.mnemonic?.get !== "function" || typeof accounts.path !== "string") return undefined;
  const phrase = await accounts.mnemonic.get();
  const passphrase = (await accounts.passphrase?.get()) ?? "";
  const w = HDNodeWallet.fromPhrase(phrase, passphrase, `${accounts.path}/${(accounts.initialIndex ?? 0) + index}`);
  return w.address.toLowerCase() === address.toLowerCase() ? w.privateKey : undefined;
}
