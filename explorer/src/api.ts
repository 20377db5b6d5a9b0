// Fetching the explorer's read-only API (src/explorer/server.ts); the shapes are src/explorer/api.ts.
export type * from "../../src/explorer/api";
import type { ApiError } from "../../src/explorer/api";

async function parse<T>(r: Response): Promise<T> {
  const body = (await r.json()) as T | ApiError;
  if (!r.ok) throw new Error((body as ApiError).message ?? `HTTP ${r.status}`);
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  return parse<T>(await fetch(path));
}

export async function post<T>(path: string, body: unknown): Promise<T> {
  return parse<T>(await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
}
