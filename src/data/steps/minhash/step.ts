/**
 * MinHash-LSH near-deduplication in four phases, each sharded so that memory stays bounded:
 *   signatures  each rank computes signatures, writes them (for verification) and its band hashes into
 *               per-band sorted runs on disk;
 *   buckets     band b is merged over all ranks by rank b mod world; documents sharing a band hash become
 *               candidate pairs, kept when the full signatures agree on at least `verify_threshold` of their
 *               values (the Jaccard estimate), written to disk;
 *   clusters    one task unions the pairs (union-find over global document numbers; the root is the smallest
 *               number, i.e. the first document) and writes each rank's removal list and a cluster report;
 *   filter      every rank drops the documents on its list ("minhash.near_duplicate"): one is kept per cluster.
 */
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Document } from "../../document.js";
import type { BarrierStep, GlobalPhase, StepContext } from "../../pipeline/step.js";
import { ConfigError, validate, type Schema } from "../../../util/schema.js";
import { tempPathFor, writeAll, writeFileAtomic } from "../../../util/atomic.js";
import { COMMON_FIELDS, type CommonOptions } from "../common.js";
import { loadRemovals, mergeRuns, pad, RunWriter, writeRankInfo, writeRemovals } from "../dedup/runs.js";
import { bandHash, estimate, optimalBands, permutationSeeds, shingles, signature } from "./lsh.js";

export const MINHASH_SCHEMA: Schema = {
  ...COMMON_FIELDS,
  unit: { kind: "enum", values: ["word", "char"], default: "word", doc: "shingles of words or of characters" },
  ngram: { kind: "number", integer: true, min: 1, default: 5, doc: "shingle length (words or characters)" },
  lowercase: { kind: "boolean", default: true, doc: "lower-case before shingling" },
  num_perm: { kind: "number", integer: true, min: 1, max: 1024, default: 128, doc: "number of permutations (signature length)" },
  threshold: { kind: "number", min: 0, max: 1, exclusiveMin: true, default: 0.8, doc: "target Jaccard similarity" },
  bands: { kind: "number", integer: true, min: 1, nullable: true, default: null, doc: "override the bands derived from the threshold" },
  rows: { kind: "number", integer: true, min: 1, nullable: true, default: null, doc: "override the rows per band" },
  verify: { kind: "boolean", default: true, doc: "keep only candidate pairs whose signatures agree on verify_threshold of their values" },
  verify_threshold: { kind: "number", min: 0, max: 1, nullable: true, default: null, doc: "the agreement required (null: threshold)" },
  seed: { kind: "number", integer: true, default: 1, doc: "seed of the permutations" },
  max_records_in_memory: { kind: "number", integer: true, min: 1000, default: 4_000_000, doc: "band records buffered before sorted runs are written" },
  report_clusters: { kind: "number", integer: true, min: 0, default: 1000, doc: "clusters listed with their document ids in the report" },
};

export interface MinhashOptions extends CommonOptions {
  unit: "word" | "char";
  ngram: number;
  lowercase: boolean;
  num_perm: number;
  threshold: number;
  bands: number | null;
  rows: number | null;
  verify: boolean;
  verify_threshold: number | null;
  seed: number;
  max_records_in_memory: number;
  report_clusters: number;
}

const STRIDE = 3; // band hash (2 words) + document index
const KEY = 2;

export function resolveBanding(o: Pick<MinhashOptions, "bands" | "rows" | "num_perm" | "threshold">, where = "minhash"): { bands: number; rows: number } {
  if ((o.bands === null) !== (o.rows === null)) throw new ConfigError(`${where}: give both bands and rows, or neither`);
  if (o.bands !== null && o.rows !== null) {
    if (o.bands * o.rows > o.num_perm) throw new ConfigError(`${where}: bands × rows = ${o.bands * o.rows} exceeds num_perm ${o.num_perm}`);
    return { bands: o.bands, rows: o.rows };
  }
  return optimalBands(o.threshold, o.num_perm);
}

/** Reads signatures of any rank by document index (positioned reads; one descriptor per rank). */
class SignatureStore {
  private fds = new Map<number, number>();
  private buf: Buffer;
  constructor(private readonly dir: string, private readonly k: number) {
    this.buf = Buffer.alloc(k * 4);
  }
  read(rank: number, idx: number, out: Int32Array): void {
    let fd = this.fds.get(rank);
    if (fd === undefined) {
      fd = openSync(join(this.dir, `rank-${pad(rank)}.bin`), "r");
      this.fds.set(rank, fd);
    }
    readSync(fd, this.buf, 0, this.buf.length, idx * this.k * 4);
    for (let i = 0; i < this.k; i++) out[i] = this.buf.readInt32LE(i * 4);
  }
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

export function createMinhash(raw: unknown, name: string): BarrierStep {
  const o = validate<MinhashOptions>(raw, MINHASH_SCHEMA, `steps.${name}`);
  const { bands, rows } = resolveBanding(o, `steps.${name}`);
  const k = bands * rows;
  const seeds = permutationSeeds(k, o.seed);
  const verifyAt = o.verify_threshold ?? o.threshold;
  const sig = new Int32Array(k);
  const band = new Uint32Array(2);
  const rec = new Uint32Array(STRIDE);
  let writer: RunWriter | null = null;
  let sigFd: number | null = null;
  let sigTmp = "";
  let sigBuf: Int32Array = new Int32Array(k * 4096);
  let sigFill = 0;
  let ids: string[] = [];
  let idsTmpFd: number | null = null;
  let idsTmp = "";

  const runsDir = (ctx: StepContext) => join(ctx.workDir, "runs");
  const sigDir = (ctx: StepContext) => join(ctx.workDir, "signatures");
  const idsDir = (ctx: StepContext) => join(ctx.workDir, "ids");
  const pairsDir = (ctx: StepContext) => join(ctx.workDir, "pairs");

  const flushSigs = () => {
    if (sigFd !== null && sigFill > 0) writeAll(sigFd, new Uint8Array(sigBuf.buffer, 0, sigFill * 4));
    sigFill = 0;
    if (idsTmpFd !== null && ids.length > 0) writeAll(idsTmpFd, Buffer.from(ids.join(""), "utf8"));
    ids = [];
  };

  const start = (ctx: StepContext) => {
    writer = new RunWriter(runsDir(ctx), ctx.rank, bands, STRIDE, KEY, o.max_records_in_memory);
    mkdirSync(sigDir(ctx), { recursive: true });
    mkdirSync(idsDir(ctx), { recursive: true });
    sigTmp = tempPathFor(join(sigDir(ctx), `rank-${pad(ctx.rank)}.bin`));
    sigFd = openSync(sigTmp, "w");
    idsTmp = tempPathFor(join(idsDir(ctx), `rank-${pad(ctx.rank)}.jsonl`));
    idsTmpFd = openSync(idsTmp, "w");
  };

  const buckets: GlobalPhase = {
    name: "buckets",
    tasks: (w) => Math.min(w, bands),
    run(rank, worldSize, ctx) {
      mkdirSync(pairsDir(ctx), { recursive: true });
      const store = new SignatureStore(sigDir(ctx), k);
      const a = new Int32Array(k);
      const b = new Int32Array(k);
      try {
        for (let bnd = rank; bnd < bands; bnd += Math.min(worldSize, bands)) {
          const pairs: number[] = [];
          let h0 = -1;
          let h1 = -1;
          let anchorRank = 0;
          let anchorIdx = 0;
          let candidates = 0;
          let rejected = 0;
          mergeRuns(runsDir(ctx), bnd, STRIDE, KEY, (r, fromRank) => {
            if (r[0] === h0 && r[1] === h1) {
              candidates++;
              if (o.verify) {
                store.read(anchorRank, anchorIdx, a);
                store.read(fromRank, r[2], b);
                if (estimate(a, b) < verifyAt) {
                  rejected++;
                  return;
                }
              }
              pairs.push(anchorRank, anchorIdx, fromRank, r[2]);
            } else {
              h0 = r[0];
              h1 = r[1];
              anchorRank = fromRank;
              anchorIdx = r[2];
            }
          });
          writeFileAtomic(join(pairsDir(ctx), `band-${pad(bnd)}.bin`), Uint32Array.from(pairs));
          ctx.count("candidate_pairs", candidates);
          ctx.count("rejected_by_verification", rejected);
          ctx.count("pairs", pairs.length / 4);
        }
      } finally {
        store.close();
      }
    },
  };

  const clusters: GlobalPhase = {
    name: "clusters",
    tasks: () => 1,
    async run(_rank, worldSize, ctx) {
      const offsets: number[] = [0];
      for (let r = 0; r < worldSize; r++) {
        const info = JSON.parse(readFileSync(join(ctx.workDir, "ranks", `rank-${pad(r)}.json`), "utf8")) as { docs: number };
        offsets.push(offsets[r] + info.docs);
      }
      const total = offsets[worldSize];
      const parent = new Int32Array(total);
      for (let i = 0; i < total; i++) parent[i] = i;
      const find = (x: number): number => {
        while (parent[x] !== x) {
          parent[x] = parent[parent[x]];
          x = parent[x];
        }
        return x;
      };
      const pdir = pairsDir(ctx);
      const files = existsSync(pdir) ? readdirSync(pdir).filter((f) => f.endsWith(".bin")).sort() : [];
      for (const f of files) {
        const buf = readFileSync(join(pdir, f));
        const w = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
        for (let i = 0; i + 3 < w.length; i += 4) {
          const x = find(offsets[w[i]] + w[i + 1]);
          const y = find(offsets[w[i + 2]] + w[i + 3]);
          if (x < y) parent[y] = x;
          else if (y < x) parent[x] = y;
        }
      }
      const byRank = new Map<number, number[]>();
      const size = new Map<number, number>();
      let rank = 0;
      for (let i = 0; i < total; i++) {
        while (i >= offsets[rank + 1]) rank++;
        const root = find(i);
        if (root === i) continue;
        size.set(root, (size.get(root) ?? 1) + 1);
        let rr = 0;
        while (root >= offsets[rr + 1]) rr++;
        let list = byRank.get(rank);
        if (!list) byRank.set(rank, (list = []));
        list.push(i - offsets[rank], rr, root - offsets[rr]);
      }
      writeRemovals(ctx.workDir, "clusters", byRank);
      let removed = 0;
      const histogram: Record<string, number> = {};
      for (const s of size.values()) {
        removed += s - 1;
        const key = s <= 2 ? "2" : s <= 5 ? "3-5" : s <= 20 ? "6-20" : s <= 100 ? "21-100" : ">100";
        histogram[key] = (histogram[key] ?? 0) + 1;
      }
      ctx.count("clusters", size.size);
      ctx.count("near_duplicates", removed);
      for (const [key, n] of Object.entries(histogram)) ctx.count(`cluster_size.${key}`, n);
      // the report: the largest clusters (ties by first document), with their ids
      const reported = [...size].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, o.report_clusters).map(([root]) => root);
      if (reported.length > 0) {
        const want = new Set(reported);
        const members = new Map<number, string[]>();
        const firstId = new Map<number, string>();
        for (let r = 0; r < worldSize; r++) {
          const path = join(idsDir(ctx), `rank-${pad(r)}.jsonl`);
          if (!existsSync(path)) continue;
          let idx = 0;
          for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
            const g = offsets[r] + idx++;
            const root = find(g);
            if (!want.has(root)) continue;
            const id = JSON.parse(line) as string;
            if (root === g) firstId.set(root, id);
            else {
              let m = members.get(root);
              if (!m) members.set(root, (m = []));
              m.push(id);
            }
          }
        }
        for (const root of reported) ctx.report({ kept: firstId.get(root), removed: members.get(root) ?? [], size: size.get(root) });
      }
    },
  };

  return {
    kind: "barrier", name, type: "minhash", domains: o.domains,
    phases: [buckets, clusters],
    init(ctx: StepContext) {
      if (ctx.rank === 0) ctx.log(`${name}: ${bands} bands × ${rows} rows (${k} permutations) for Jaccard ≥ ${o.threshold}`);
    },
    signature(doc: Document, index: number, ctx: StepContext) {
      if (writer === null) start(ctx);
      const inDomain = o.domains === null || o.domains.includes(doc.meta.domain);
      const sh = inDomain ? shingles(doc.text, o) : new Int32Array(0);
      signature(sh, seeds, sig);
      if (sigFill + k > sigBuf.length) flushSigs();
      sigBuf.set(sig, sigFill);
      sigFill += k;
      ids.push(JSON.stringify(doc.id) + "\n");
      if (sh.length === 0) return; // nothing to compare: never a duplicate
      for (let bnd = 0; bnd < bands; bnd++) {
        bandHash(sig, bnd, rows, band);
        rec[0] = band[0];
        rec[1] = band[1];
        rec[2] = index;
        writer!.add(bnd, rec);
      }
    },
    finishSignatures(count: number, ctx: StepContext) {
      if (writer === null) start(ctx);
      writer!.spill();
      flushSigs();
      closeSync(sigFd!);
      closeSync(idsTmpFd!);
      renameSync(sigTmp, join(sigDir(ctx), `rank-${pad(ctx.rank)}.bin`));
      renameSync(idsTmp, join(idsDir(ctx), `rank-${pad(ctx.rank)}.jsonl`));
      writeRankInfo(ctx.workDir, ctx.rank, { docs: count, runs: writer!.files.length, bands, rows });
      writer = null;
      sigFd = null;
      idsTmpFd = null;
      sigBuf = new Int32Array(k * 4096);
    },
    async openFilter(ctx: StepContext) {
      const removals = loadRemovals(ctx.workDir, ctx.rank);
      return (index: number) => {
        const r = removals.get(index);
        return r ? { reason: "minhash.near_duplicate", detail: `cluster of rank ${r[0]} document ${r[1]}` } : null;
      };
    },
  };
}
