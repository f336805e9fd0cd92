/** Picks a kernel backend by name. */
import type { Kernels } from "./types.js";
import { referenceKernels } from "./reference.js";
import { loadNative, nativeKernels } from "./native.js";

export type Backend = "native" | "reference" | "reference-f64";
export const BACKENDS: readonly Backend[] = ["native", "reference", "reference-f64"];

export function getKernels(backend: Backend = "native", threads?: number | null): Kernels {
  switch (backend) {
    case "native": {
      const k = nativeKernels();
      if (threads) loadNative().setThreads(threads);
      return k;
    }
    case "reference":
      return referenceKernels("f32");
    case "reference-f64":
      return referenceKernels("f64");
  }
}

export type { Kernels, Buf } from "./types.js";
