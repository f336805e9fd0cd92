/** zstd compression through @bokuweb/zstd-wasm (initialised once per thread; whole buffers → one frame each). */
import { init, compress } from "@bokuweb/zstd-wasm";

let ready: Promise<void> | null = null;
let initialised = false;

export function ensureZstd(): Promise<void> {
  ready ??= init().then(() => {
    initialised = true;
  });
  return ready;
}

/** One independent zstd frame. `ensureZstd()` must have resolved. */
export function zstdFrame(data: Uint8Array, level = 3): Uint8Array {
  if (!initialised) throw new Error("zstd used before ensureZstd() resolved");
  return compress(data, level);
}
