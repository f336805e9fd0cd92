/**
 * Matrix multiply on transformer shapes: the native kernels against OpenBLAS through numpy, 1 and 2 threads.
 * Shared machines drift, so the two are measured alternately, shape by shape, over several rounds; each round
 * gives a ratio and the table quotes medians.
 */
import { loadNative } from "../src/kernels/native.js";
import { bestOpenBlasCore, median, PeerServer } from "./peers.js";

export interface GemmShape {
  label: string;
  m: number;
  k: number;
  n: number;
  trans: "NN" | "NT" | "TN";
}

export interface GemmRow extends GemmShape {
  threads: number;
  ours: number;
  openblasAuto: number | null;
  openblasBest: number | null;
  /** median over rounds of native / (the faster OpenBLAS in that round) */
  ratio: number | null;
}

/** The products of one training step of the benchmark models (T = 8·256 tokens). */
export function transformerShapes(dModels: number[], tokens = 2048, vocab = 8192): GemmShape[] {
  const out: GemmShape[] = [];
  for (const d of dModels) {
    const f = (d * 5) / 2;
    out.push(
      { label: `d${d} q/o proj`, m: tokens, k: d, n: d, trans: "NT" },
      { label: `d${d} gate/up`, m: tokens, k: d, n: f, trans: "NT" },
      { label: `d${d} down`, m: tokens, k: f, n: d, trans: "NT" },
      { label: `d${d} head`, m: tokens, k: d, n: vocab, trans: "NT" },
      { label: `d${d} dX gate`, m: tokens, k: f, n: d, trans: "NN" },
      { label: `d${d} dW gate`, m: f, k: tokens, n: d, trans: "TN" },
    );
  }
  return out;
}

function ours(s: GemmShape, repeats: number): number {
  const native = loadNative();
  const a = new Float32Array(s.m * s.k).map(() => Math.random() - 0.5);
  const b = new Float32Array(s.k * s.n).map(() => Math.random() - 0.5);
  const c = new Float32Array(s.m * s.n);
  const ta = s.trans === "TN";
  const tb = s.trans === "NT";
  native.gemm(ta, tb, s.m, s.n, s.k, 1, a, b, 0, c);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    native.gemm(ta, tb, s.m, s.n, s.k, 1, a, b, 0, c);
    times.push((performance.now() - t) / 1000);
  }
  return (2 * s.m * s.n * s.k) / median(times) / 1e9;
}

export async function benchGemm(root: string, shapes: GemmShape[], threadCounts: number[], rounds: number,
  repeats: number, log: (s: string) => void): Promise<{ rows: GemmRow[]; notes: string[] }> {
  const native = loadNative();
  const before = native.getThreads();
  const core = bestOpenBlasCore(native.simdLevel());
  const rows: GemmRow[] = [];
  const notes: string[] = [];
  for (const threads of threadCounts) {
    native.setThreads(threads);
    const auto = await PeerServer.start(root, "numpy_gemm.py", ["--threads", String(threads)]);
    const best = core ? await PeerServer.start(root, "numpy_gemm.py", ["--threads", String(threads), "--coretype", core]) : null;
    if (typeof auto === "string") notes.push(`OpenBLAS peer unavailable: ${auto}`);
    if (typeof best === "string") notes.push(`OpenBLAS (${core}) peer unavailable: ${best}`);
    for (const s of shapes) {
      log(`gemm: ${threads} thread(s): ${s.label} ${s.m}×${s.k}×${s.n} ${s.trans}`);
      const o: number[] = [];
      const a: number[] = [];
      const b: number[] = [];
      const ratios: number[] = [];
      // Round 0 warms both sides up (thread start-up, page faults, caches) and is not counted.
      for (let r = 0; r <= rounds; r++) {
        const mine = ours(s, repeats);
        const req = `${s.m}x${s.k}x${s.n} ${s.trans} ${repeats}`;
        const pa = typeof auto === "string" ? null : ((await auto.request(req)).gflops as number);
        const pb = best && typeof best !== "string" ? ((await best.request(req)).gflops as number) : null;
        if (r === 0) continue;
        o.push(mine);
        if (pa !== null) a.push(pa);
        if (pb !== null) b.push(pb);
        const peer = Math.max(pa ?? 0, pb ?? 0);
        if (peer > 0) ratios.push(mine / peer);
      }
      rows.push({
        ...s, threads, ours: median(o), openblasAuto: a.length ? median(a) : null, openblasBest: b.length ? median(b) : null,
        ratio: ratios.length ? median(ratios) : null,
      });
    }
    if (typeof auto !== "string") auto.close();
    if (best && typeof best !== "string") best.close();
  }
  native.setThreads(before);
  if (core) notes.push(`OpenBLAS "best core" forces OPENBLAS_CORETYPE=${core}: Debian's OpenBLAS 0.3.21 may not recognise this CPU and fall back to slower kernels ("auto"); each ratio is taken against the faster of the two`);
  return { rows, notes };
}
