/**
 * Which domain the next row comes from: smooth weighted round robin. Every row, each domain gains its share as
 * credit; the domain with the most credit gives the row and pays one row. Deterministic, interleaved, and after n
 * rows every domain has produced its share of n to within one row — so a phase's mixture is met exactly, not just
 * in expectation.
 */
export interface MixerState {
  credits: Record<string, number>;
}

export class Mixer {
  private credits = new Map<string, number>();

  constructor(private shares: [string, number][]) {
    for (const [d] of shares) this.credits.set(d, 0);
  }

  /** Switches to new shares (a new phase), keeping the credit of domains that stay. */
  setShares(shares: [string, number][]): void {
    const next = new Map<string, number>();
    for (const [d] of shares) next.set(d, this.credits.get(d) ?? 0);
    this.credits = next;
    this.shares = shares;
  }

  next(): string {
    let best = "";
    let bestCredit = -Infinity;
    for (const [d, s] of this.shares) {
      const c = this.credits.get(d)! + s;
      this.credits.set(d, c);
      if (c > bestCredit) {
        bestCredit = c;
        best = d;
      }
    }
    this.credits.set(best, bestCredit - 1);
    return best;
  }

  state(): MixerState {
    return { credits: Object.fromEntries(this.credits) };
  }

  restore(s: MixerState): void {
    for (const d of this.credits.keys()) this.credits.set(d, s.credits[d] ?? 0);
  }
}
