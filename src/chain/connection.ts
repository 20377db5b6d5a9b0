/** What the library needs of a Hardhat network connection: ethers bound to one chain, and the network's name. */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";

export interface ChainConnection {
  ethers: HardhatEthers;
  networkName: string;
}

/** Whether the connection is to Hardhat's in-process chain, which is gone when the process ends. */
export function isInProcess(conn: ChainConnection): boolean {
  return (conn as unknown as { networkConfig?: { type?: string } }).networkConfig?.type === "edr-simulated";
}
