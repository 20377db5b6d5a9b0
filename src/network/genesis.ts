/**
 * The Clique genesis of the multi-node network: the chosen city nodes' operators as the signers, a chain id
 * of our own, the block period, a block gas limit with room for the largest transaction the tools send, and
 * the test mnemonic's first 64 accounts funded as on Hardhat's chains. Forks up to London only: a Clique
 * chain on geth 1.13 never merges, so Shanghai and Cancun never come (the contracts are compiled for paris).
 */
import { HDNodeWallet, getAddress } from "ethers";
import { FIRST_OPERATOR_INDEX } from "../chain/accounts.js";
import type { City, NodeSeed } from "../seeds.js";

/** The public test mnemonic of hardhat.config.ts (a test checks they agree): for local chains only. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk";
/** Accounts funded in the genesis, as on the in-process chain. */
export const FUNDED_ACCOUNTS = 64;
/** Our chain id: 86 (China's calling code) and 2024, the year whose volume the replay models. Not 31337. */
export const YRD_CHAIN_ID = 862024;
/** Default block period, seconds. */
export const DEFAULT_PERIOD = 1;
/**
 * Block gas limit of a new network (`up --gas-limit`). The largest transactions the tools send are a
 * `multiAttest` of 100 records (~6.7M gas) and the deployment (its largest transaction used 3.0M gas on this
 * network, measured 2026-11-30). What bounds the limit from below is throughput: a live attestation uses
 * ~99,700 gas, so Ethereum's 30M held at most ~300 of them a block (a live replay at 500 tx/s fills 50M gas a
 * second), and a block fuller than half the limit raises the base fee by up to 12.5 %. 200M keeps a 1-second
 * block of 1,000 attestations at half. geth's miner keeps blocks at `--miner.gaslimit`, set to the genesis figure.
 */
export const BLOCK_GAS_LIMIT = 200_000_000;
/** The block gas limit of networks made before it was a choice (their manifests do not name it). */
export const LEGACY_GAS_LIMIT = 30_000_000;
/** The smallest block gas limit `up --gas-limit` takes (the deployment's largest transaction must fit). */
export const MIN_BLOCK_GAS_LIMIT = 10_000_000;
/** Balance of each funded account: 10,000 ether, as Hardhat's chains give. */
const BALANCE = 10_000n * 10n ** 18n;
/** Clique checkpoint interval (votes reset), geth's default. */
const EPOCH = 30_000;

/** The wallet of account `index` of a mnemonic (m/44'/60'/0'/0/index, as Hardhat derives them). */
export function mnemonicWallet(index: number, mnemonic: string = TEST_MNEMONIC): HDNodeWallet {
  return HDNodeWallet.fromPhrase(mnemonic, undefined, `m/44'/60'/0'/0/${index}`);
}

/** The first `count` addresses of the mnemonic. */
export function mnemonicAddresses(count: number, mnemonic: string = TEST_MNEMONIC): string[] {
  const root = HDNodeWallet.fromPhrase(mnemonic, undefined, "m/44'/60'/0'/0");
  return Array.from({ length: count }, (_, i) => root.deriveChild(i).address);
}

/** A chosen city node: its seed, position and operator key index. */
export interface Validator {
  seed: NodeSeed;
  /** On-chain node id: 1-based position in seeds/nodes.json. */
  nodeId: number;
  /** Index of its operator in the mnemonic (2 + position). */
  accountIndex: number;
}

/**
 * The first `count` validators in a fixed order: the first node of each province's first city (Shanghai,
 * Nanjing, Hangzhou, Hefei with the project's seeds: the municipality and the three provincial capitals),
 * then the first node of every other city, in seed order, then the cities' further nodes, in seed order.
 */
export function chooseValidators(nodes: readonly NodeSeed[], cities: readonly City[], count: number): Validator[] {
  if (!Number.isInteger(count) || count < 1 || count > nodes.length) throw new Error(`--nodes must be a whole number from 1 to ${nodes.length}, got ${count}`);
  const province = new Map(cities.map((c) => [c.code, c.province]));
  const all = nodes.map((seed, i) => ({ seed, nodeId: i + 1, accountIndex: FIRST_OPERATOR_INDEX + i }));
  const firstOfCity = all.filter((v, i) => all.findIndex((w) => w.seed.city === v.seed.city) === i);
  const firstOfProvince = firstOfCity.filter((v, i) => firstOfCity.findIndex((w) => province.get(w.seed.city) === province.get(v.seed.city)) === i);
  const order = [...firstOfProvince, ...firstOfCity.filter((v) => !firstOfProvince.includes(v)), ...all.filter((v) => !firstOfCity.includes(v))];
  return order.slice(0, count);
}

export interface GenesisOptions {
  signers: readonly string[];
  chainId?: number;
  period?: number;
  gasLimit?: number;
  /** Unix time of the genesis block (default: now). */
  timestamp?: number;
  mnemonic?: string;
}

const hex = (n: number | bigint) => "0x" + n.toString(16);

/** geth's genesis.json for a Clique chain. */
export function cliqueGenesis(opts: GenesisOptions): Record<string, unknown> {
  const period = opts.period ?? DEFAULT_PERIOD;
  if (!Number.isInteger(period) || period < 1 || period > 60) throw new Error(`--period must be whole seconds from 1 to 60, got ${period}`);
  if (opts.signers.length === 0) throw new Error("a Clique genesis needs at least one signer");
  const gasLimit = opts.gasLimit ?? BLOCK_GAS_LIMIT;
  if (!Number.isSafeInteger(gasLimit) || gasLimit < MIN_BLOCK_GAS_LIMIT)
    throw new Error(`--gas-limit must be a whole number of gas of at least ${MIN_BLOCK_GAS_LIMIT}, got ${gasLimit}`);
  // extraData: 32 vanity bytes, the signers in ascending order, 65 bytes for the (absent) seal
  const signers = opts.signers.map((s) => getAddress(s).toLowerCase().slice(2)).sort();
  const extraData = "0x" + "00".repeat(32) + signers.join("") + "00".repeat(65);
  const alloc: Record<string, { balance: string }> = {};
  for (const a of mnemonicAddresses(FUNDED_ACCOUNTS, opts.mnemonic)) alloc[a.toLowerCase().slice(2)] = { balance: hex(BALANCE) };
  return {
    config: {
      chainId: opts.chainId ?? YRD_CHAIN_ID,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      muirGlacierBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      arrowGlacierBlock: 0,
      grayGlacierBlock: 0,
      clique: { period, epoch: EPOCH },
    },
    nonce: "0x0",
    timestamp: hex(opts.timestamp ?? Math.floor(Date.now() / 1000)),
    extraData,
    gasLimit: hex(gasLimit),
    difficulty: "0x1",
    mixHash: "0x" + "00".repeat(32),
    coinbase: "0x" + "00".repeat(20),
    baseFeePerGas: hex(10n ** 9n),
    alloc,
  };
}
