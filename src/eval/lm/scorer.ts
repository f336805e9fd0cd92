/**
 * Batched log-likelihood of (context, continuation) token requests:
 *   1. identical requests are scored once;
 *   2. requests that share a context (the options of a multiple-choice question, candidate needle values) run
 *      the context once into a KV cache, then each continuation from the cache;
 *   3. the rest are packed several to a row, rows batched up to a token budget, so short requests fill passes.
 * Every path gives the same numbers up to float rounding (tests compare them with one request per forward pass).
 *
 * A request's input is context ‖ continuation[0..L−2]; the targets are the continuation tokens. When it does
 * not fit the model's context, tokens are dropped from the front of the context (for a group sharing a context,
 * by the same amount for every member, set by the longest continuation).
 */
import type { EvalForward } from "./forward.js";
import { batchRows, packRows } from "./pack.js";

export interface TokenRequest {
  /** at least one token (the prefix token when the text context is empty) */
  context: Int32Array;
  /** at least one token */
  continuation: Int32Array;
}

export interface TokenScore {
  /** Σ log p(continuation token | everything before it), natural log */
  logprob: number;
  /** every continuation token was the most likely one (greedy decoding would produce the continuation) */
  greedy: boolean;
  /** continuation tokens scored */
  tokens: number;
}

export interface ScorerOptions {
  /** share the context of requests that have the same one (default true) */
  sharePrefixes?: boolean;
  /** contexts shorter than this are recomputed per request rather than cached (default 16) */
  minSharedContext?: number;
}

export interface ScorerStats {
  requests: number;
  unique: number;
  sharedGroups: number;
  sharedRequests: number;
  packedRows: number;
  passes: number;
}

interface Item {
  context: Int32Array;
  continuation: Int32Array;
  logprob: number;
  greedy: boolean;
}

function key(a: Int32Array): string {
  return a.join(",");
}

export function scoreTokenRequests(fwd: EvalForward, requests: readonly TokenRequest[], o: ScorerOptions = {},
  stats?: ScorerStats): TokenScore[] {
  const share = o.sharePrefixes ?? true;
  const minShared = o.minSharedContext ?? 16;
  const maxIn = fwd.cacheCapacity;
  const unique = new Map<string, number>();
  const items: Item[] = [];
  const which = requests.map((r, i) => {
    if (r.context.length < 1) throw new RangeError(`request ${i}: the context is empty (give a prefix token)`);
    if (r.continuation.length < 1) throw new RangeError(`request ${i}: the continuation is empty`);
    if (r.continuation.length > maxIn) {
      throw new RangeError(`request ${i}: a continuation of ${r.continuation.length} tokens does not fit the model's ` +
        `context of ${maxIn}`);
    }
    const k = `${key(r.context)}|${key(r.continuation)}`;
    let u = unique.get(k);
    if (u === undefined) {
      u = items.length;
      unique.set(k, u);
      items.push({ context: r.context, continuation: r.continuation, logprob: 0, greedy: false });
    }
    return u;
  });

  const groups = new Map<string, number[]>();
  items.forEach((it, i) => {
    const k = key(it.context);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });

  const packed: { item: number; ctxKeep: number }[] = [];
  let sharedGroups = 0;
  let sharedRequests = 0;
  for (const members of groups.values()) {
    const ctx = items[members[0]].context;
    const lMax = Math.max(...members.map((i) => items[i].continuation.length));
    const ctxKeep = Math.min(ctx.length, maxIn + 1 - lMax);
    if (share && members.length >= 2 && ctxKeep >= minShared) {
      scoreShared(fwd, items, members, ctx.subarray(ctx.length - ctxKeep));
      sharedGroups++;
      sharedRequests += members.length;
    } else {
      for (const i of members) {
        // Longer than one packed pass allows: through the cache, piece by piece.
        if (ctxKeep + items[i].continuation.length - 1 > fwd.budget) {
          scoreShared(fwd, items, [i], ctx.subarray(ctx.length - ctxKeep));
          sharedRequests++;
        } else packed.push({ item: i, ctxKeep });
      }
    }
  }
  const { rows, passes } = scorePacked(fwd, items, packed, maxIn);
  if (stats) {
    stats.requests += requests.length;
    stats.unique += items.length;
    stats.sharedGroups += sharedGroups;
    stats.sharedRequests += sharedRequests;
    stats.packedRows += rows;
    stats.passes += passes + sharedRequests + sharedGroups;
  }
  return which.map((u) => ({
    logprob: items[u].logprob, greedy: items[u].greedy, tokens: items[u].continuation.length,
  }));
}

/**
 * One pass over the shared context into the KV cache, then one cached pass per continuation longer than one
 * token (also used alone for a request too long for a packed pass: the cache is fed in budget-sized pieces).
 */
function scoreShared(fwd: EvalForward, items: Item[], members: number[], ctx: Int32Array): void {
  const C = ctx.length;
  const first = fwd.cachedScore(ctx, 0, members.map(() => C - 1), members.map((i) => items[i].continuation[0]));
  members.forEach((i, j) => {
    items[i].logprob = first.logprob[j];
    items[i].greedy = first.greedy[j] === 1;
  });
  for (const i of members) {
    const cont = items[i].continuation;
    const L = cont.length;
    if (L === 1) continue;
    const rowIndex = Array.from({ length: L - 1 }, (_, j) => j);
    const s = fwd.cachedScore(cont.subarray(0, L - 1), C, rowIndex, Array.from(cont.subarray(1)));
    for (let j = 0; j < L - 1; j++) {
      items[i].logprob += s.logprob[j];
      if (s.greedy[j] !== 1) items[i].greedy = false;
    }
  }
}

/** Packs the requests into rows (each sequence masked to itself) and scores them pass by pass. */
function scorePacked(fwd: EvalForward, items: Item[], list: { item: number; ctxKeep: number }[], maxIn: number):
  { rows: number; passes: number } {
  if (list.length === 0) return { rows: 0, passes: 0 };
  const seqs = list.map(({ item, ctxKeep }) => {
    const it = items[item];
    const ctx = it.context.subarray(it.context.length - ctxKeep);
    const L = it.continuation.length;
    const ids = new Int32Array(ctxKeep + L - 1);
    ids.set(ctx, 0);
    ids.set(it.continuation.subarray(0, L - 1), ctxKeep);
    return { item, ids, firstTarget: ctxKeep - 1 };
  });
  const rowLen = Math.min(maxIn, Math.max(...seqs.map((s) => s.ids.length)));
  const rows = packRows(seqs.map((s) => s.ids.length), rowLen);
  const passes = batchRows(rows, rowLen, fwd.budget);
  for (const pass of passes) {
    const R = pass.length;
    const T = R * rowLen;
    const ids = new Int32Array(T);
    const positions = new Int32Array(T);
    const segStart = new Int32Array(T);
    // Unused tail positions see only themselves; their outputs are never read.
    for (let i = 0; i < T; i++) segStart[i] = i % rowLen;
    const rowIndex: number[] = [];
    const targets: number[] = [];
    const owner: number[] = [];
    pass.forEach((row, r) => {
      for (const seg of row.segments) {
        const s = seqs[seg.index];
        const base = r * rowLen + seg.offset;
        ids.set(s.ids, base);
        for (let i = 0; i < seg.length; i++) {
          positions[base + i] = i;
          segStart[base + i] = seg.offset;
        }
        const cont = items[s.item].continuation;
        for (let j = 0; j < cont.length; j++) {
          rowIndex.push(base + s.firstTarget + j);
          targets.push(cont[j]);
          owner.push(s.item);
        }
      }
    });
    const h = fwd.packed(ids, R, rowLen, positions, segStart);
    const sc = fwd.score(h, rowIndex, targets);
    const seen = new Set<number>();
    for (let j = 0; j < owner.length; j++) {
      const it = items[owner[j]];
      if (!seen.has(owner[j])) {
        seen.add(owner[j]);
        it.logprob = 0;
        it.greedy = true;
      }
      it.logprob += sc.logprob[j];
      if (sc.greedy[j] !== 1) it.greedy = false;
    }
  }
  return { rows: rows.length, passes: passes.length };
}
