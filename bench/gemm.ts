/** Matrix multiply on transformer shapes: the native kernels against OpenBLAS through numpy, 1 and 2 threads. */
import { loadNative } from "../src/kernels/native.js";
import { bestOpenBlasCore, median, runPeer } from "./peers.js";

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
  for (let i = 0; i < 3; i++) native.gemm(ta, tb, s.m, s.n, s.k, 1, a, b, 0, c);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    native.gemm(ta, tb, s.m, s.n, s.k, 1, a, b, 0, c);
    times.push((performance.now() - t) / 1000);
  }
  return (2 * s.m * s.n * s.k) / median(times) / 1e9;
}

function peer(root: string, shapes: GemmShape[], threads: number, core: string | null, repeats: number): Map<string, number> | string {
  const out = new Map<string, number>();
  for (const trans of ["NN", "NT", "TN"] as const) {
    const group = shapes.filter((s) => s.trans === trans);
    if (group.length === 0) continue;
    const args = ["--shapes", group.map((s) => `${s.m}x${s.k}x${s.n}`).join(","), "--trans", trans,
      "--threads", String(threads), "--repeats", String(repeats)];
    if (core) args.push("--coretype", core);
    const r = runPeer(root, "numpy_gemm.py", args);
    if (!r.ok) return r.why;
    for (const l of r.lines) out.set(`${l.m}x${l.k}x${l.n}${trans}`, l.gflops as number);
  }
  return out;
}

export function benchGemm(root: string, shapes: GemmShape[], threadCounts: number[], repeats: number,
  log: (s: string) => void): { rows: GemmRow[]; notes: string[] } {
  const native = loadNative();
  const before = native.getThreads();
  const core = bestOpenBlasCore();
  const rows: GemmRow[] = [];
  const notes: string[] = [];
  for (const threads of threadCounts) {
    native.setThreads(threads);
    log(`gemm: ${threads} thread(s): native…`);
    const mine = shapes.map((s) => ours(s, repeats));
    log(`gemm: ${threads} thread(s): OpenBLAS (auto-detected core)…`);
    const auto = peer(root, shapes, threads, null, repeats);
    let best: Map<string, number> | string | null = null;
    if (core) {
      log(`gemm: ${threads} thread(s): OpenBLAS (core ${core})…`);
      best = peer(root, shapes, threads, core, repeats);
    }
    if (typeof auto === "string") notes.push(`OpenBLAS peer unavailable: ${auto}`);
    if (typeof best === "string") notes.push(`OpenBLAS (${core}) peer unavailable: ${best}`);
    shapes.forEach((s, i) => {
      const key = `${s.m}x${s.k}x${s.n}${s.trans}`;
      const a = typeof auto === "string" ? null : auto.get(key) ?? null;
      const b = best && typeof best !== "string" ? best.get(key) ?? null : null;
      const peerBest = Math.max(a ?? 0, b ?? 0);
      rows.push({ ...s, threads, ours: mine[i], openblasAuto: a, openblasBest: b, ratio: peerBest > 0 ? mine[i] / peerBest : null });
    });
  }
  native.setThreads(before);
  if (core) notes.push(`OpenBLAS "best" forces OPENBLAS_CORETYPE=${core}: Debian's OpenBLAS 0.3.21 may not recognise this CPU and fall back to slower kernels; the ratio is taken against the faster of the two`);
  return { rows, notes };
}
