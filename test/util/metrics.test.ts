import { test, after } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetricsFormatError, MetricsWriter, readMetrics, truncateMetrics } from "../../src/util/metrics.js";

const dir = mkdtempSync(join(tmpdir(), "metrics-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `m${n++}.jsonl`);

test("writes one JSON object per line and reads them back", () => {
  const p = fresh();
  const w = new MetricsWriter(p);
  w.write({ step: 1, loss: 3.5, lr: 0.01, phase: "stable" });
  w.write({ step: 2, loss: 3.25, nested: { a: [1, 2] } });
  w.sync();
  w.close();
  assert.equal(readFileSync(p, "utf8"),
    '{"step":1,"loss":3.5,"lr":0.01,"phase":"stable"}\n{"step":2,"loss":3.25,"nested":{"a":[1,2]}}\n');
  assert.deepEqual(readMetrics(p), [
    { step: 1, loss: 3.5, lr: 0.01, phase: "stable" },
    { step: 2, loss: 3.25, nested: { a: [1, 2] } },
  ]);
});

test("appends to an existing file (a resumed run continues the same log)", () => {
  const p = fresh();
  const a = new MetricsWriter(p);
  a.write({ step: 1 });
  a.close();
  const b = new MetricsWriter(p);
  b.write({ step: 2 });
  b.close();
  assert.deepEqual(readMetrics(p), [{ step: 1 }, { step: 2 }]);
});

test("non-finite numbers survive the round trip", () => {
  const p = fresh();
  const w = new MetricsWriter(p);
  w.write({ step: 7, loss: NaN, grad_norm: Infinity, min: -Infinity, ok: 1 });
  w.close();
  assert.equal(readFileSync(p, "utf8"), '{"step":7,"loss":"NaN","grad_norm":"Infinity","min":"-Infinity","ok":1}\n');
  const [r] = readMetrics(p);
  assert.ok(Number.isNaN(r.loss));
  assert.equal(r.grad_norm, Infinity);
  assert.equal(r.min, -Infinity);
});

test("writer refuses non-objects and writes after close", () => {
  const w = new MetricsWriter(fresh());
  assert.throws(() => w.write([1, 2] as unknown as Record<string, unknown>), /plain object/);
  assert.throws(() => w.write(null as unknown as Record<string, unknown>), /plain object/);
  w.close();
  w.close();
  assert.throws(() => w.write({ step: 1 }), /after close/);
  w.sync(); // harmless after close
});

test("readMetrics reports a malformed line with its number; blank lines and CRLF are fine", () => {
  const p = fresh();
  writeFileSync(p, '{"step":1}\r\n\n{"step":2}\n{"step":3,\n{"step":4}\n');
  assert.throws(() => readMetrics(p), (e: unknown) =>
    e instanceof MetricsFormatError && e.line === 4 && e.file === p && e.message.startsWith(`${p}:4: malformed JSON`));
  const q = fresh();
  writeFileSync(q, '{"a":1}\r\n\n   \n{"a":2}\n');
  assert.deepEqual(readMetrics(q), [{ a: 1 }, { a: 2 }]);
  const r = fresh();
  writeFileSync(r, '{"a":1}\n[1,2]\n');
  assert.throws(() => readMetrics(r), /:2: expected a JSON object, got \[1,2\]/);
  const e = fresh();
  writeFileSync(e, "");
  assert.deepEqual(readMetrics(e), []);
  assert.throws(() => readMetrics(join(dir, "missing.jsonl")), /ENOENT/);
});

test("a torn last line (crash mid-write) is an error by default, skippable on request", () => {
  const p = fresh();
  writeFileSync(p, '{"step":1}\n{"step":2,"lo');
  assert.throws(() => readMetrics(p), /:2: malformed JSON .*crashed while writing it/);
  assert.deepEqual(readMetrics(p, { allowTornLastLine: true }), [{ step: 1 }]);
  // A complete last line without a newline is still a record.
  const q = fresh();
  writeFileSync(q, '{"step":1}\n{"step":2}');
  assert.deepEqual(readMetrics(q), [{ step: 1 }, { step: 2 }]);
  // A malformed line that is not last is never skipped.
  const r = fresh();
  writeFileSync(r, '{"step":1,\n{"step":2}');
  assert.throws(() => readMetrics(r, { allowTornLastLine: true }), /:1: malformed/);
});

test("truncateMetrics keeps matching records byte for byte, atomically", () => {
  const sub = mkdtempSync(join(dir, "trunc-"));
  const p = join(sub, "metrics.jsonl");
  const w = new MetricsWriter(p);
  for (let step = 1; step <= 10; step++) w.write({ step, loss: 10 - step * 0.5 });
  w.write({ event: "checkpoint", path: "ckpt-5" });
  w.close();
  appendFileSync(p, '{"step": 11,  "loss":  4.5}\n'); // hand-formatted line: kept exactly as it is
  const before = readFileSync(p, "utf8").split("\n");
  const res = truncateMetrics(p, (r) => typeof r.step !== "number" || r.step <= 5 || r.step === 11);
  assert.deepEqual(res, { kept: 7, removed: 5 });
  const after = readFileSync(p, "utf8");
  assert.equal(after, [...before.slice(0, 5), before[10], before[11], ""].join("\n"));
  assert.ok(after.includes('{"step": 11,  "loss":  4.5}'));
  assert.deepEqual(readdirSync(sub), ["metrics.jsonl"], "no temporary file left");
  // Appending continues after the truncation.
  const w2 = new MetricsWriter(p);
  w2.write({ step: 6 });
  w2.close();
  assert.deepEqual(readMetrics(p).map((r) => r.step), [1, 2, 3, 4, 5, undefined, 11, 6]);
});

test("truncateMetrics drops a torn last line, handles a missing file, and rejects a malformed middle", () => {
  const p = fresh();
  writeFileSync(p, '{"step":1}\n{"step":2}\n{"st');
  assert.deepEqual(truncateMetrics(p, () => true), { kept: 2, removed: 1 });
  assert.equal(readFileSync(p, "utf8"), '{"step":1}\n{"step":2}\n');
  const missing = join(dir, "never-written.jsonl");
  assert.deepEqual(truncateMetrics(missing, () => true), { kept: 0, removed: 0 });
  assert.equal(existsSync(missing), false);
  const bad = fresh();
  writeFileSync(bad, '{"step":1}\nnot json\n{"step":3}\n');
  assert.throws(() => truncateMetrics(bad, () => true), /:2: malformed JSON/);
  assert.equal(readFileSync(bad, "utf8"), '{"step":1}\nnot json\n{"step":3}\n', "untouched on error");
  const all = fresh();
  writeFileSync(all, '{"step":1}\n');
  assert.deepEqual(truncateMetrics(all, () => false), { kept: 0, removed: 1 });
  assert.equal(readFileSync(all, "utf8"), "");
});
