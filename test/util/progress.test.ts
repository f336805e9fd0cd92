import { test } from "node:test";
import assert from "node:assert/strict";
import { formatCount, formatDuration, formatFieldValue, formatRate, Progress } from "../../src/util/progress.js";

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => { writes.push(s); return true; } } };
}

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

test("formatDuration: h:mm:ss, rounding, large and unknown values", () => {
  assert.equal(formatDuration(0), "0:00:00");
  assert.equal(formatDuration(59.4), "0:00:59");
  assert.equal(formatDuration(59.6), "0:01:00");
  assert.equal(formatDuration(342), "0:05:42");
  assert.equal(formatDuration(3600), "1:00:00");
  assert.equal(formatDuration(3 * 3600 + 7 * 60 + 5), "3:07:05");
  assert.equal(formatDuration(123 * 3600 + 4 * 60 + 5), "123:04:05");
  for (const bad of [-1, NaN, Infinity]) assert.equal(formatDuration(bad), "-:--:--");
});

test("formatRate and formatCount: three significant digits with suffixes", () => {
  assert.equal(formatRate(3.5123, "steps"), "3.51 steps/s");
  assert.equal(formatRate(0.08123, "steps"), "0.0812 steps/s");
  assert.equal(formatRate(12, "steps"), "12 steps/s");
  assert.equal(formatRate(999.4, "docs"), "999 docs/s");
  assert.equal(formatRate(999.6, "docs"), "1k docs/s");
  assert.equal(formatRate(12345, "tokens"), "12.3k tokens/s");
  assert.equal(formatRate(123456, "tokens"), "123k tokens/s");
  assert.equal(formatRate(4.2e6, "tokens"), "4.2M tokens/s");
  assert.equal(formatRate(7.77e9, "B"), "7.77G B/s");
  assert.equal(formatRate(0, "steps"), "0 steps/s");
  assert.equal(formatRate(NaN, "steps"), "? steps/s");
  assert.equal(formatRate(-1, "steps"), "? steps/s");
  assert.equal(formatCount(1e15), "1000T");
});

test("formatFieldValue: integers plain, others 4 significant digits or exponent form", () => {
  assert.equal(formatFieldValue(1200), "1200");
  assert.equal(formatFieldValue(3.21456), "3.215");
  assert.equal(formatFieldValue(0.5), "0.5");
  assert.equal(formatFieldValue(0.001333333), "0.001333");
  assert.equal(formatFieldValue(5.2e-5), "5.2e-5");
  assert.equal(formatFieldValue(1.234567e-7), "1.235e-7");
  assert.equal(formatFieldValue(NaN), "NaN");
  assert.equal(formatFieldValue("ok"), "ok");
});

test("non-TTY: first update prints, then at most every intervalMs, and always at the end", () => {
  const { writes, stream } = fakeStream(false);
  const c = clock();
  const p = new Progress({ label: "train", total: 100, stream, now: c.now, intervalMs: 10_000 });
  c.advance(1000);
  p.update(1, { loss: 3.21456 });
  assert.equal(writes.length, 1);
  assert.equal(writes[0], "train  1/100 steps  1.0%  1 steps/s  elapsed 0:00:01  ETA 0:01:39  loss=3.215\n");
  for (let i = 2; i <= 10; i++) {
    c.advance(1000);
    p.update(i, { loss: 3 });
  }
  assert.equal(writes.length, 1, "nothing before 10 s have passed since the last line");
  c.advance(1000);
  p.update(11, { loss: 2.5, lr: 0.001 });
  assert.equal(writes.length, 2);
  assert.match(writes[1], /^train {2}11\/100 steps {2}11\.0% {2}1 steps\/s {2}elapsed 0:00:11 {2}ETA 0:01:29 {2}loss=2\.5 lr=0\.001\n$/);
  c.advance(500);
  p.finish("done");
  assert.equal(writes.length, 3);
  assert.equal(writes[2], "train  11/100 steps  11.0%  0.957 steps/s  elapsed 0:00:12  loss=2.5 lr=0.001  done\n");
  assert.ok(writes.every((w) => !w.includes("\r")));
  p.finish(); // a second finish is a no-op
  assert.equal(writes.length, 3);
  assert.throws(() => p.update(12), /after finish/);
});

test("TTY: rewrites one line, at most 10 times a second, ends with a newline", () => {
  const { writes, stream } = fakeStream(true);
  const c = clock();
  const p = new Progress({ label: "tok", total: 1000, unit: "docs", stream, now: c.now });
  for (let i = 1; i <= 100; i++) {
    c.advance(10); // 100 updates over 1 s
    p.update(i * 10);
  }
  assert.ok(writes.length >= 9 && writes.length <= 11, `${writes.length} redraws in 1 s`);
  for (const w of writes) {
    assert.ok(w.startsWith("\r") && w.endsWith("\x1b[K") && !w.includes("\n"));
  }
  assert.match(writes[writes.length - 1], /tok {2}\d+\/1000 docs {2}\d+\.\d% {2}1k docs\/s/);
  p.finish();
  const last = writes[writes.length - 1];
  assert.ok(last.startsWith("\r") && last.endsWith("\x1b[K\n"));
  assert.match(last, /tok {2}1000\/1000 docs {2}100\.0% {2}1k docs\/s {2}elapsed 0:00:01/);
  assert.ok(!last.includes("ETA"));
});

test("the tty option overrides the stream, and the default stream is stderr", () => {
  const { writes, stream } = fakeStream(true);
  const p = new Progress({ label: "x", total: 1, stream, tty: false, now: () => 0 });
  p.update(1);
  assert.ok(writes[0].endsWith("\n") && !writes[0].startsWith("\r"));
  const q = new Progress({ label: "quiet", total: 1 });
  assert.equal(q.unit, "steps");
});

test("the rate is smoothed and recovers from a slow start; ETA follows it", () => {
  const c = clock();
  const p = new Progress({ label: "r", total: 10_000, stream: fakeStream(false).stream, now: c.now, smoothingMs: 5000 });
  c.advance(10_000);
  p.update(1); // a slow first step (warm-up): 0.1 steps/s
  assert.ok(Math.abs((p.currentRate() ?? 0) - 0.1) < 1e-9);
  for (let i = 2; i <= 1000; i++) {
    c.advance(100); // then 10 steps/s
    p.update(i);
  }
  const rate = p.currentRate() ?? 0;
  assert.ok(Math.abs(rate - 10) < 0.1, `rate ${rate}`);
  const line = p.line();
  const eta = /ETA (\d+):(\d\d):(\d\d)/.exec(line);
  assert.ok(eta, line);
  const etaS = Number(eta[1]) * 3600 + Number(eta[2]) * 60 + Number(eta[3]);
  assert.ok(Math.abs(etaS - (10_000 - 1000) / 10) < 15, line);
});

test("smoothing does not depend on how often update is called", () => {
  const run = (everyMs: number) => {
    const c = clock();
    const p = new Progress({ label: "r", total: null, stream: fakeStream(false).stream, now: c.now, smoothingMs: 2000 });
    let done = 0;
    for (let t = 0; t < 4000; t += everyMs) {
      c.advance(everyMs);
      done += (t < 2000 ? 1 : 5) * everyMs / 1000; // 1 unit/s, then 5 units/s
      p.update(done);
    }
    return p.currentRate() ?? 0;
  };
  const a = run(10);
  const b = run(250);
  assert.ok(Math.abs(a - b) / a < 0.05, `${a} vs ${b}`);
  assert.ok(a > 1 && a < 5);
});

test("unknown total: no percentage or ETA; going backwards resets the rate", () => {
  const { writes, stream } = fakeStream(false);
  const c = clock();
  const p = new Progress({ label: "scan", stream, now: c.now, unit: "files", intervalMs: 0 });
  c.advance(2000);
  p.update(10, { skipped: 2 });
  assert.equal(writes[0], "scan  10 files  5 files/s  elapsed 0:00:02  skipped=2\n");
  c.advance(1000);
  p.update(3);
  assert.equal(p.currentRate(), null);
  assert.equal(writes[1], "scan  3 files  elapsed 0:00:03  skipped=2\n", "fields persist until replaced");
});

test("bad arguments", () => {
  assert.throws(() => new Progress({ label: "x", total: -1, stream: fakeStream(false).stream }), /total/);
  assert.throws(() => new Progress({ label: "x", total: NaN, stream: fakeStream(false).stream }), /total/);
  const p = new Progress({ label: "x", total: 1, stream: fakeStream(false).stream });
  assert.throws(() => p.update(NaN), /finite/);
});

test("total 0 shows 100% and a zero-length finish does not divide by zero", () => {
  const { writes, stream } = fakeStream(false);
  const p = new Progress({ label: "empty", total: 0, stream, now: () => 0 });
  p.finish();
  assert.equal(writes[0], "empty  0/0 steps  100.0%  elapsed 0:00:00\n");
});
