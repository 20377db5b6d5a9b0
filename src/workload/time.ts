/**
 * When the year's queries happen: a weight per hour of calendar 2024 (China Standard Time, UTC+8) from the
 * working-day / business-hour profile of seeds/workload-2024.json, and the inverse of its cumulative
 * distribution, so that query number s of Q falls at the time where s/Q of the year's weight lies before it.
 */
const HOURS_2024 = 366 * 24;
/** 2024-01-01 00:00 in UTC+8, as unix seconds. */
export const YEAR_START = Date.UTC(2024, 0, 1) / 1000 - 8 * 3600;

export function hourWeight(workday: boolean, hour: number): number {
  if (!workday) return 0.05;
  if ((hour >= 9 && hour < 12) || (hour >= 13 && hour < 17)) return 1;
  if (hour === 12) return 0.5;
  if (hour === 8 || (hour >= 17 && hour < 20)) return 0.2;
  return 0.02;
}

export class YearProfile {
  private readonly cumulative = new Float64Array(HOURS_2024);
  readonly total: number;

  constructor(holidays: ReadonlySet<string>, makeUpWorkdays: ReadonlySet<string>) {
    let sum = 0;
    for (let h = 0; h < HOURS_2024; h++) {
      const day = new Date(Date.UTC(2024, 0, 1 + Math.floor(h / 24))).toISOString().slice(0, 10);
      const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
      const workday = makeUpWorkdays.has(day) || (dow !== 0 && dow !== 6 && !holidays.has(day));
      sum += hourWeight(workday, h % 24);
      this.cumulative[h] = sum;
    }
    this.total = sum;
  }

  /** Unix time at fraction `x` ∈ [0, 1) of the year's weight. */
  timeAt(x: number): number {
    const target = x * this.total;
    let lo = 0;
    let hi = HOURS_2024 - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    const before = lo === 0 ? 0 : this.cumulative[lo - 1];
    const within = (target - before) / (this.cumulative[lo] - before);
    return YEAR_START + lo * 3600 + Math.floor(within * 3600);
  }
}
