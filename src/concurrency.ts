/** Bounded concurrency for chain work: the replays, the nodes, the node services. */

/**
 * `fn` over `items` in order, a few at a time, letting the event loop run in between: CPU work (signing)
 * that overlaps with the chain's work instead of stalling the responses it is waiting for.
 */
export async function inSlices<T, R>(items: readonly T[], fn: (item: T) => R, slice = 4): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += slice) {
    for (let k = i; k < Math.min(items.length, i + slice); k++) out.push(fn(items[k]));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

/**
 * Calls `start(item)` for every item in order, with at most `window` of them unsettled at once. What `start`
 * does before its first `await` runs in item order. After the first failure no further item is started; the
 * failure is thrown once every started item has settled (nothing is left running behind the caller's back).
 */
export async function inOrderWindow<T>(items: Iterable<T>, window: number, start: (item: T) => Promise<void>): Promise<void> {
  const inflight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for (const item of items) {
    while (inflight.size >= window) await Promise.race(inflight);
    if (failure) break;
    const p: Promise<void> = start(item)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  if (failure) throw failure.error;
}

/** At most `limit` of the functions given to `run` running at once; the others wait their turn, in call order. */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Polls until `probe` reports `done`, every `pollMs`, bounded on progress rather than in all: it throws
 * `stalled(left)` once `withinMs` pass without `left` (what is still open: records queued, queries unanswered)
 * getting smaller. Work that keeps moving is waited for however long it takes.
 */
export async function untilSettled<T>(
  probe: () => Promise<{ done: true; value: T } | { done: false; left: number }>,
  withinMs: number,
  stalled: (left: number) => Error,
  pollMs = 1_000,
): Promise<T> {
  let least = Number.POSITIVE_INFINITY;
  let deadline = Date.now() + withinMs;
  for (;;) {
    const p = await probe();
    if (p.done) return p.value;
    if (p.left < least) [least, deadline] = [p.left, Date.now() + withinMs];
    else if (Date.now() > deadline) throw stalled(p.left);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
