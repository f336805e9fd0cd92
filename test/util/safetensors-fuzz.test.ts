/**
 * Fuzzing the safetensors reader with truncated and bit-flipped files: every outcome is either a correct read or a
 * SafetensorsError that names the file; never a crash, a hang or a huge allocation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSafetensors, SafetensorsError, writeSafetensors } from "../../src/util/safetensors.js";
import { seeded } from "../helpers/random.js";

test("truncated and bit-flipped safetensors files give clear errors or correct data", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-fuzz-"));
  try {
    const good = join(dir, "good.safetensors");
    writeSafetensors(good, [
      { name: "a", dtype: "F32", shape: [3, 5], data: new Float32Array(15).map((_, i) => i) },
      { name: "b", dtype: "BF16", shape: [7], data: new Uint16Array(7).fill(0x3f80) },
      { name: "c", dtype: "I32", shape: [], data: new Int32Array([42]) },
    ], { note: "fuzz" });
    const bytes = readFileSync(good);
    const u = seeded(99);
    const bad = join(dir, "bad.safetensors");
    let errors = 0;
    let reads = 0;
    const tryRead = () => {
      try {
        const r = openSafetensors(bad);
        try {
          for (const n of r.names()) {
            const info = r.info(n);
            if (info.dtype === "I32" || info.dtype === "I64") r.readI32(n);
            else r.readF32(n);
          }
          reads++;
        } finally {
          r.close();
        }
      } catch (e) {
        assert.ok(e instanceof SafetensorsError, `unexpected ${(e as Error).name}: ${(e as Error).message}`);
        assert.ok((e as SafetensorsError).message.includes(bad), "the message names the file");
        errors++;
      }
    };
    for (let cut = 0; cut < bytes.length; cut += 3) {
      writeFileSync(bad, bytes.subarray(0, cut));
      tryRead();
    }
    for (let i = 0; i < 600; i++) {
      const copy = Buffer.from(bytes);
      const flips = 1 + Math.floor(u() * 3);
      for (let f = 0; f < flips; f++) {
        // Favour the 8-byte length and the JSON header, where damage is most interesting.
        const at = u() < 0.7 ? Math.floor(u() * Math.min(copy.length, 200)) : Math.floor(u() * copy.length);
        copy[at] ^= 1 << Math.floor(u() * 8);
      }
      writeFileSync(bad, copy);
      tryRead();
    }
    assert.ok(errors > 100, `errors ${errors}`);
    assert.ok(reads > 10, `reads ${reads} (flips in the data section read fine)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
