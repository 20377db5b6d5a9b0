/**
 * A progress bar per phase (rate and ETA) on a terminal; plain periodic lines when output is not a terminal;
 * nothing when `show` is false.
 */
import cliProgress from "cli-progress";

export class PhaseProgress {
  private readonly bar?: cliProgress.SingleBar;
  private readonly started = performance.now();
  private lastLine = 0;
  private value = 0;
  private readonly silent: boolean;

  constructor(
    readonly phase: string,
    readonly total: number,
    readonly unit: string,
    private readonly out: (line: string) => void = (l) => process.stderr.write(l + "\n"),
    show?: boolean,
  ) {
    this.silent = show === false;
    if (!this.silent && process.stderr.isTTY === true) {
      this.bar = new cliProgress.SingleBar(
        { format: `${phase.padEnd(9)} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`, hideCursor: true, etaBuffer: 50 },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { rate: "0" });
    }
  }

  update(value: number): void {
    this.value = value;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(value / seconds) : 0;
    if (this.bar) this.bar.update(value, { rate: rate.toLocaleString("en-US") });
    else if ((!this.silent && performance.now() - this.lastLine > 5_000) || value >= this.total) {
      this.lastLine = performance.now();
      const eta = rate > 0 ? Math.round((this.total - value) / rate) : 0;
      this.out(
        `${this.phase}: ${value.toLocaleString("en-US")}/${this.total.toLocaleString("en-US")} ${this.unit} (${Math.round((100 * value) / Math.max(1, this.total))}%), ${rate.toLocaleString("en-US")}/s, ETA ${eta}s`,
      );
    }
  }

  stop(): number {
    this.bar?.update(this.value);
    this.bar?.stop();
    return (performance.now() - this.started) / 1000;
  }
}
