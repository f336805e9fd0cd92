import { test } from "node:test";
import assert from "node:assert/strict";
import { loadNative } from "../../src/kernels/native.js";

test("the native addon loads and reports its SIMD levels and threads", () => {
  const a = loadNative();
  assert.ok(a.simdLevels().includes("portable"));
  assert.ok(a.simdLevels().includes(a.simdLevel()));
  assert.ok(a.getThreads() >= 1);
});
