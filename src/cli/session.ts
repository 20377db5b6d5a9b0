/** The session a command opens on the network Hardhat was given (`--network`), logging to stderr. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { Session, type SessionOptions } from "../session.js";

export async function openSession(hre: HardhatRuntimeEnvironment, opts: SessionOptions = {}): Promise<Session> {
  return Session.open(await hre.network.create(), { log: (l) => console.error(l), ...opts });
}

/** A `--data-dir` value: undefined when not given (the default depends on the network). */
export function dataDirOption(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}
