/**
 * Loads the C addon built by node-gyp at install (build/Release/pretrain_native.node) and presents it as the
 * kernel interface. Each binding takes the same arguments, in the same order, as the interface method of the
 * same name, and works directly on the memory of the Float32Arrays it is given.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kernels } from "./types.js";

export type SimdLevel = "portable" | "avx2" | "avx512";

/** The raw addon: the kernel methods plus thread and SIMD controls. */
export interface NativeAddon extends Omit<Kernels, "name" | "alloc"> {
  getThreads(): number;
  setThreads(n: number): void;
  simdLevel(): SimdLevel;
  simdLevels(): SimdLevel[];
  setSimdLevel(level: SimdLevel): void;
}

let addon: NativeAddon | null = null;

/** The native kernels cannot be used as installed (not built, or a SIMD level the CPU lacks). */
export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

function findAddon(): string {
  // dist/src/kernels/native.js → package root is three levels up; src/kernels/native.ts → two.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "build", "Release", "pretrain_native.node");
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, "..");
  }
  throw new SetupError(
    "the native kernels are not built (build/Release/pretrain_native.node is missing). " +
      "Run `npm ci` (or `npm run build:native`) in the package folder; it needs python3, make and a C compiler.",
  );
}

/** The loaded addon (loaded once). Honours PRETRAIN_SIMD and PRETRAIN_THREADS. */
export function loadNative(): NativeAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  const mod = require(findAddon()) as NativeAddon;
  const want = process.env.PRETRAIN_SIMD;
  if (want && want !== "auto" && mod.simdLevel() !== want) {
    throw new SetupError(
      `PRETRAIN_SIMD=${want} was asked for, but this CPU or build supports only: ${mod.simdLevels().join(", ")} ` +
        "(use one of those, or auto).",
    );
  }
  addon = mod;
  return mod;
}

/** The native kernels (float32). */
export function nativeKernels(): Kernels {
  const a = loadNative();
  return {
    get name() {
      return `native-${a.simdLevel()}`;
    },
    alloc: (n) => new Float32Array(n),
    gemm: a.gemm,
    addBias: a.addBias,
    sumRows: a.sumRows,
    scale: a.scale,
    axpy: a.axpy,
    dot: a.dot,
    sumSquares: a.sumSquares,
    maxAbs: a.maxAbs,
    rowStats: a.rowStats,
    rmsNorm: a.rmsNorm,
    rmsNormBackward: a.rmsNormBackward,
    headLayerNorm: a.headLayerNorm,
    headLayerNormBackward: a.headLayerNormBackward,
    rope: a.rope,
    attention: a.attention,
    attentionBackward: a.attentionBackward,
    attentionStats: a.attentionStats,
    swiglu: a.swiglu,
    swigluBackward: a.swigluBackward,
    embedding: a.embedding,
    embeddingBackward: a.embeddingBackward,
    crossEntropy: a.crossEntropy,
    adamw: a.adamw,
  };
}
