/** Worker thread of a replay: computes record chunks (see chunks.ts) for the main thread. */
import { parentPort, workerData } from "node:worker_threads";
import { computeChunk, type ChunkSpec } from "./chunks.js";
import { populationFrom, type PopulationInit } from "./population.js";

const pop = populationFrom(workerData as PopulationInit);
parentPort!.on("message", (spec: ChunkSpec & { id: number }) => {
  const result = computeChunk(pop, spec);
  parentPort!.postMessage({ id: spec.id, result }, result.batches.map((b) => b.leaves.buffer as ArrayBuffer));
});
