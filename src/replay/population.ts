/** How a replay's population is described to worker threads (plain data) and rebuilt there. */
import { loadSeeds } from "../seeds.js";
import { Population } from "../workload/enterprises.js";

export interface PopulationInit {
  seed: string;
  counts: number[];
  financingShare: number;
  correctionShare: number;
  revocationShare: number;
  objectionShare: number;
}

export function populationFrom(p: PopulationInit): Population {
  return new Population(p.seed, loadSeeds().cities, p.counts, p.financingShare, p.correctionShare, p.revocationShare, p.objectionShare);
}
