/** Metrics shared by the task kinds: means with standard errors, pass@k, answer normalization, bits per byte. */

/** Mean of the values (NaN for none). */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Standard error of the mean: sample standard deviation / √n (NaN below two values). */
export function stderrOfMean(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (n - 1) / n);
}

/**
 * The unbiased pass@k estimator of Chen et al. (2021) for one problem with n samples of which c pass:
 *   pass@k = 1 − C(n−c, k) / C(n, k) = 1 − Π_{i = n−c+1}^{n} (1 − k/i),
 * the product form, which never forms a binomial coefficient (no overflow, no cancellation).
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k))) {
    throw new RangeError(`passAtK: n, c, k must be integers (got ${n}, ${c}, ${k})`);
  }
  if (n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new RangeError(`passAtK: need 0 ≤ c ≤ n, 1 ≤ k ≤ n (got n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  let notPass = 1;
  for (let i = n - c + 1; i <= n; i++) notPass *= 1 - k / i;
  return 1 - notPass;
}

/** UTF-8 length of a string in bytes. */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Bits per byte of text scored with Σ log p = logprob (natural log) over `bytes` UTF-8 bytes. */
export function bitsPerByte(logprob: number, bytes: number): number {
  return -logprob / Math.LN2 / bytes;
}

/**
 * A number as written in an answer, normalized for comparison: thousands separators, a currency sign, a unit
 * word after it and a trailing period are dropped; "72.0" and "72" compare equal. Returns null for no number.
 */
export function normalizeNumber(s: string): string | null {
  const m = /-?\$?\s*-?[0-9][0-9,]*(?:\.[0-9]+)?/.exec(s.trim());
  if (!m) return null;
  const raw = m[0].replace(/[$,\s]/g, "");
  const v = Number(raw);
  if (!Number.isFinite(v)) return null;
  return String(v);
}

/** Text answers: lower case, articles and punctuation dropped, whitespace collapsed. */
export function normalizeText(s: string): string {
  return s.toLowerCase().replace(/\b(a|an|the)\b/g, " ").replace(/[^\p{L}\p{N}\s]/gu, " ").replace(/\s+/g, " ").trim();
}

/** The last number in a text (as written, e.g. "1,234"), or null. */
export function lastNumber(text: string): string | null {
  const all = text.match(/-?[0-9][0-9,]*(?:\.[0-9]+)?/g);
  return all && all.length ? all[all.length - 1] : null;
}
