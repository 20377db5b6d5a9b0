/** What the library needs of a Hardhat network connection: ethers bound to one chain, and the network's name. */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";

export interface ChainConnection {
  ethers: HardhatEthers;
  networkName: string;
}
