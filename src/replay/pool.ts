/**
 * Computes record chunks on worker threads (or on the main thread with 0 workers). Results come back in
 * submission order, so the chain sees the same sequence of batches at any worker count.
 */
import { Worker } from "node:worker_threads";
import { computeChunk, type ChunkResult, type ChunkSpec } from "./chunks.js";
import { populationFrom, type PopulationInit } from "./population.js";

export class ChunkPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (r: ChunkResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private turn = 0;
  private readonly inline: ReturnType<typeof populationFrom> | undefined;

  constructor(
    readonly init: PopulationInit,
    readonly size: number,
  ) {
    this.inline = size === 0 ? populationFrom(init) : undefined;
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL("./worker.ts", import.meta.url), { workerData: init, execArgv: ["--import", "tsx"] });
      w.on("message", (m: { id: number; result: ChunkResult }) => {
        const p = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        p?.resolve(m.result);
      });
      w.on("error", (e) => {
        for (const p of this.waiting.values()) p.reject(e);
        this.waiting.clear();
      });
      this.workers.push(w);
    }
  }

  /** Computes a chunk of the node whose salt secret is `secret`. */
  run(spec: ChunkSpec, secret: Uint8Array): Promise<ChunkResult> {
    if (this.inline) return Promise.resolve(computeChunk(this.inline, spec, secret));
    const id = this.nextId++;
    const w = this.workers[this.turn++ % this.workers.length];
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ ...spec, id, secret });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
