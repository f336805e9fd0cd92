/**
 * Progress reporting for long work (training, tokenizing, cleaning). On a terminal one status line is redrawn
 * in place (carriage return, at most 10 redraws a second); when the output is a file or a pipe (a batch job's
 * log), a full line is printed at most every `intervalMs` and always at the end, so logs stay readable.
 *
 * The line: label, done/total unit, percentage, smoothed rate, elapsed, ETA, then the extra fields:
 *   train  1200/10000 steps  12.0%  3.51 steps/s  elapsed 0:05:42  ETA 0:41:48  loss=3.214 lr=0.001
 */

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  label: string;
  /** Total units of work; omit (or null) when unknown: then no percentage or ETA is shown. */
  total?: number | null;
  unit?: string;
  stream?: ProgressStream;
  /** Non-TTY: minimum time between printed lines (default 10 000 ms). */
  intervalMs?: number;
  /** Overrides `stream.isTTY`. */
  tty?: boolean;
  /** Milliseconds clock, injectable for tests (default performance.now). */
  now?: () => number;
  /** Time constant of the rate's exponential smoothing (default 20 000 ms). */
  smoothingMs?: number;
}

export type ProgressFields = Record<string, string | number>;

const TTY_REDRAW_MS = 100;

/** Seconds as h:mm:ss (hours unbounded: "123:04:05"); negative, NaN or infinite → "-:--:--". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "-:--:--";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/** Units per second with three significant digits and k/M/G suffixes: "3.51 steps/s", "12.3k tokens/s". */
export function formatRate(perSecond: number, unit: string): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return `? ${unit}/s`;
  return `${formatCount(perSecond)} ${unit}/s`;
}

/** Three significant digits, with k/M/G/T suffixes from 1000 up. */
export function formatCount(x: number): string {
  if (x === 0) return "0";
  const suffixes = ["", "k", "M", "G", "T"];
  let i = 0;
  while (Math.abs(x) >= 999.5 && i < suffixes.length - 1) {
    x /= 1000;
    i++;
  }
  // From 100 up, three significant digits are the integer part (toPrecision would switch to "1.00e+3").
  const digits = Math.abs(x) >= 99.95 ? String(Math.round(x)) : trimNumber(x.toPrecision(3));
  return `${digits}${suffixes[i]}`;
}

/** A field value: integers as they are, other numbers with 4 significant digits (exponent form when tiny/huge). */
export function formatFieldValue(v: string | number): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e6) return trimNumber(v.toPrecision(4));
  return v.toExponential(3).replace(/\.?0+e/, "e");
}

function trimNumber(s: string): string {
  // "3.500" → "3.5", "12.0" → "12", but leave exponent forms and integers alone.
  return s.includes(".") && !s.includes("e") ? s.replace(/\.?0+$/, "") : s;
}

export class Progress {
  readonly label: string;
  readonly total: number | null;
  readonly unit: string;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly smoothingMs: number;
  private readonly start: number;
  private done = 0;
  private fields: ProgressFields = {};
  private lastSampleTime: number;
  private lastSampleDone = 0;
  private rate: number | null = null;
  private lastDraw = -Infinity;
  private finished = false;

  constructor(options: ProgressOptions) {
    this.label = options.label;
    const total = options.total ?? null;
    if (total !== null && !(Number.isFinite(total) && total >= 0)) {
      throw new RangeError(`Progress: total must be a non-negative number, got ${total}`);
    }
    this.total = total;
    this.unit = options.unit ?? "steps";
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? Boolean(this.stream.isTTY);
    this.intervalMs = options.intervalMs ?? 10_000;
    this.now = options.now ?? (() => performance.now());
    this.smoothingMs = options.smoothingMs ?? 20_000;
    this.start = this.now();
    this.lastSampleTime = this.start;
  }

  /** Records progress (`done` is cumulative) and the current extra fields; redraws if it is time to. */
  update(done: number, fields?: ProgressFields): void {
    if (this.finished) throw new Error(`Progress "${this.label}": update after finish`);
    if (!Number.isFinite(done)) throw new RangeError(`Progress "${this.label}": done must be finite, got ${done}`);
    this.sample(done);
    if (fields) this.fields = { ...fields };
    const t = this.now();
    if (this.tty) {
      if (t - this.lastDraw >= TTY_REDRAW_MS) this.draw(t);
    } else if (t - this.lastDraw >= this.intervalMs) {
      this.draw(t);
    }
  }

  /** Prints the final state (always) and ends the line; `summary` is appended to it. */
  finish(summary?: string): void {
    if (this.finished) return;
    this.finished = true;
    const t = this.now();
    let line = this.line(t, true);
    if (summary) line += `  ${summary}`;
    this.stream.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  /** The status line as it would be drawn now (without control characters). */
  line(t = this.now(), final = false): string {
    const elapsedS = (t - this.start) / 1000;
    const parts: string[] = [this.label];
    if (this.total !== null) {
      parts.push(`${this.done}/${this.total} ${this.unit}`);
      const pct = this.total > 0 ? (100 * this.done) / this.total : 100;
      parts.push(`${pct.toFixed(1)}%`);
    } else {
      parts.push(`${this.done} ${this.unit}`);
    }
    // The final line reports the average over the whole run, the most useful number once it is over.
    const rate = final ? (elapsedS > 0 ? this.done / elapsedS : null) : this.rate;
    if (rate !== null) parts.push(formatRate(rate, this.unit));
    parts.push(`elapsed ${formatDuration(elapsedS)}`);
    if (!final && this.total !== null && rate !== null && rate > 0) {
      parts.push(`ETA ${formatDuration(Math.max(0, this.total - this.done) / rate)}`);
    }
    const extra = Object.entries(this.fields).map(([k, v]) => `${k}=${formatFieldValue(v)}`);
    if (extra.length) parts.push(extra.join(" "));
    return parts.join("  ");
  }

  /** The smoothed rate in units per second (null until two samples exist). */
  currentRate(): number | null {
    return this.rate;
  }

  private sample(done: number): void {
    const t = this.now();
    const dt = t - this.lastSampleTime;
    if (done < this.lastSampleDone) {
      // Went backwards (work restarted): the old rate says nothing about the new one.
      this.rate = null;
      this.lastSampleTime = t;
      this.lastSampleDone = done;
    } else if (dt > 0) {
      const inst = ((done - this.lastSampleDone) * 1000) / dt;
      // Time-based exponential smoothing: the weight of a sample grows with the time it covers, so the
      // estimate does not depend on how often update() is called.
      const alpha = 1 - Math.exp(-dt / this.smoothingMs);
      this.rate = this.rate === null ? inst : this.rate + alpha * (inst - this.rate);
      this.lastSampleTime = t;
      this.lastSampleDone = done;
    }
    this.done = done;
  }

  private draw(t: number): void {
    this.lastDraw = t;
    const line = this.line(t);
    if (this.tty) {
      // "\x1b[K" clears what a longer previous line left to the right.
      this.stream.write(`\r${line}\x1b[K`);
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}
