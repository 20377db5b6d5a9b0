/** Worker thread of a replay: computes record chunks (see chunks.ts) for the main thread; each request carries the attesting node's salt secret. */
import { parentPort, workerData } from "node:worker_threads";
import { computeChunk, type ChunkSpec } from "./chunks.js";
import { populationFrom, type PopulationInit } from "./population.js";

const pop = populationFrom(workerData as PopulationInit);
parentPort!.on("message", (spec: ChunkSpec & { id: number; secret: Uint8Array }) => {
  const result = computeChunk(pop, spec, spec.secret);
  parentPort!.postMessage(
    { id: spec.id, result },
    result.batches.map((b) => b.leaves.buffer as ArrayBuffer),
  );
});
