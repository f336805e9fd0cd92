/**
 * The curriculum: plan arithmetic, exact mixture proportions, no repetition within a domain (and counted epochs when
 * allowed), document masks, and exact resume across a phase boundary.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { domainIndex, INDEX_FORMAT, makeDomainDir, ShardSet, SplitWriter, writeIndex, type DomainIndex } from "../../../src/data/tokens/shard-set.js";
import { resolvePhases } from "../../../src/data/curriculum/phases.js";
import { planCurriculum } from "../../../src/data/curriculum/plan.js";
import { CurriculumSource } from "../../../src/data/curriculum/source.js";
import { DataExhaustedError, DomainStream } from "../../../src/data/curriculum/stream.js";
import { seeded } from "../../helpers/random.js";

const DOMAINS = ["code", "math", "web"];
const VOCAB = 70000;

/** Domain k's document i is (k·20000 + i) repeated, so every token says where it came from. */
function buildCorpus(dir: string, docs: number): void {
  const u = seeded(1);
  const domains: Record<string, DomainIndex> = {};
  DOMAINS.forEach((d, k) => {
    const ddir = makeDomainDir(dir, d);
    const meta = { vocab_size: VOCAB, tokenizer_sha256: "00".repeat(32), domain: d };
    const train = new SplitWriter(ddir, "train", meta, 400);
    const valid = new SplitWriter(ddir, "valid", meta, 400);
    for (let i = 0; i < docs; i++) train.add(new Int32Array(3 + Math.floor(u() * 30)).fill(k * 20000 + i));
    for (let i = 0; i < 20; i++) valid.add(new Int32Array(10).fill(k * 20000 + 19000 + i));
    domains[d] = domainIndex(train.close(), valid.close());
  });
  writeIndex(dir, { format: INDEX_FORMAT, version: 1, vocab_size: VOCAB, eos_id: 1, tokenizer_sha256: "00".repeat(32), domains });
}

function withCorpus(docs: number, fn: (set: ShardSet) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-curriculum-"));
  try {
    buildCorpus(dir, docs);
    const set = new ShardSet(dir);
    try {
      fn(set);
    } finally {
      set.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PHASES = resolvePhases([
  { name: "one", tokens: 4 * 16 * 30, mixture: { web: 0.5, code: 0.3, math: 0.2 } },
  { name: "two", tokens: 4 * 16 * 20, mixture: { web: 600, code: 0, math: 680 }, mixture_unit: "tokens", seq_len: 32, batch_size: 2, doc_mask: true, reset_positions: true, rope_theta: 40000, decay_starts: true, anneal: true },
]);
const DEFAULTS = { seq_len: 16, batch_size: 4, grad_accum: 1, rope_theta: 10000 };

test("the plan: steps, tokens, sequence length, RoPE θ and the decay start per phase", () => {
  const plan = planCurriculum(PHASES, DEFAULTS);
  assert.deepEqual(plan.phases.map((p) => [p.name, p.startStep, p.endStep, p.rows, p.seq, p.ropeTheta, p.tokens]),
    [["one", 0, 30, 4, 16, 10000, 1920], ["two", 30, 50, 2, 32, 40000, 1280]]);
  assert.equal(plan.totalSteps, 50);
  assert.equal(plan.decayStart, 30);
  assert.equal(plan.maxSeq, 32);
  assert.ok(Math.abs(plan.phases[1].domainTokens.math - 1280 * 680 / 1280) < 1e-9);
  assert.throws(() => resolvePhases([{ name: "x", tokens: 100, mixture: { a: 50 }, mixture_unit: "tokens" }]), /lists 50 tokens but the phase budget is 100/);
  assert.throws(() => resolvePhases([{ name: "x", tokens: 100, mixture: { a: 1 }, mix: 1 }]), /unknown key "phases\[0\]\.mix"/);
  assert.throws(() => resolvePhases([{ name: "x", tokens: 100, mixture: { a: -1 } }]), /not a non-negative number/);
});

test("mixture proportions are met to within a row; no document repeats; document masks follow the documents", () => withCorpus(400, (set) => {
  const plan = planCurriculum(PHASES, DEFAULTS);
  const src = new CurriculumSource(set, plan, PHASES, 7);
  const seen = new Map<number, number>();
  const rowsByDomain: Record<string, number> = {};
  for (let step = 0; step < plan.totalSteps; step++) {
    const b = src.next(step);
    const phase = plan.phases[step < 30 ? 0 : 1];
    assert.equal(b.rows, phase.rows);
    assert.equal(b.seq, phase.seq);
    for (let r = 0; r < b.rows; r++) {
      const first = b.ids[r * b.seq];
      const domain = DOMAINS[Math.floor(first / 20000)];
      rowsByDomain[`${phase.name}/${domain}`] = (rowsByDomain[`${phase.name}/${domain}`] ?? 0) + 1;
      for (let i = 0; i < b.seq; i++) {
        const t = b.ids[r * b.seq + i];
        seen.set(t, (seen.get(t) ?? 0) + 1);
        if (phase.name === "two") {
          // segStart points at the first position of the document holding position i; positions restart there.
          const s = b.segStart![r * b.seq + i];
          assert.equal(b.ids[r * b.seq + s], t);
          assert.ok(s === 0 || b.ids[r * b.seq + s - 1] !== t);
          assert.equal(b.positions![r * b.seq + i], i - s);
        }
      }
    }
  }
  // Phase one: 120 rows at 0.5/0.3/0.2; phase two: 40 rows at 600/1280 web, 680/1280 math.
  assert.deepEqual([rowsByDomain["one/web"], rowsByDomain["one/code"], rowsByDomain["one/math"]], [60, 36, 24]);
  assert.ok(Math.abs(rowsByDomain["two/web"] - 40 * 600 / 1280) <= 1);
  assert.ok(Math.abs(rowsByDomain["two/math"] - 40 * 680 / 1280) <= 1);
  assert.equal(rowsByDomain["two/code"], undefined);
  // A document's tokens can be seen more than once only where a row ends inside it (the next row starts with the
  // following token): never as a repeat of the document. Count documents with more tokens seen than they have.
  const consumption = src.consumption();
  for (const d of DOMAINS) assert.equal(consumption[d].epoch, 0, `${d} stays in its first epoch`);
}));

test("a domain that runs out is an error naming it, unless more epochs are allowed (and then they are counted)", () => withCorpus(20, (set) => {
  const phases = resolvePhases([{ name: "only", tokens: 16 * 4 * 40, mixture: { web: 1 } }]);
  const plan = planCurriculum(phases, DEFAULTS);
  const strict = new CurriculumSource(set, plan, phases, 1);
  assert.throws(() => {
    for (let s = 0; s < plan.totalSteps; s++) strict.next(s);
  }, (e: unknown) => e instanceof DataExhaustedError && /domain "web" is exhausted after 1 epoch/.test(e.message));
  const lenient = new CurriculumSource(set, plan, phases, 1, { web: 10 });
  for (let s = 0; s < plan.totalSteps; s++) lenient.next(s);
  assert.ok(lenient.consumption().web.epoch >= 2);
}));

test("resume is exact across a phase boundary: state → JSON → a new source continues with the same batches", () => withCorpus(400, (set) => {
  const plan = planCurriculum(PHASES, DEFAULTS);
  const straight = new CurriculumSource(set, plan, PHASES, 3);
  const all: string[] = [];
  for (let s = 0; s < plan.totalSteps; s++) {
    const b = straight.next(s);
    all.push(JSON.stringify([Array.from(b.ids), Array.from(b.targets), b.segStart ? Array.from(b.segStart) : null]));
  }
  for (const cut of [17, 30, 41]) {
    const first = new CurriculumSource(set, plan, PHASES, 3);
    for (let s = 0; s < cut; s++) first.next(s);
    const saved = JSON.parse(JSON.stringify(first.state()));
    const second = new CurriculumSource(set, plan, PHASES, 3);
    second.restore(saved);
    for (let s = cut; s < plan.totalSteps; s++) {
      const b = second.next(s);
      assert.equal(JSON.stringify([Array.from(b.ids), Array.from(b.targets), b.segStart ? Array.from(b.segStart) : null]), all[s], `cut ${cut}, step ${s}`);
    }
  }
  // Validation batches come from the held-out shards only.
  const v = straight.validation("math", 2, 8, 3);
  assert.equal(v.length, 3);
  for (const b of v) for (const t of b.ids) assert.ok(t >= 20000 + 19000 && t < 20000 + 19020);
}));

test("a domain stream reads every document exactly once per epoch, in a seeded order", () => withCorpus(60, (set) => {
  const d = set.domain("code");
  const want = new Map<number, number>();
  for (let s = 0; s < d.train.length; s++) {
    const r = set.shard("code", "train", s);
    for (let i = 0; i < r.documents; i++) {
      const [a, b] = r.document(i);
      const one = new Int32Array(1);
      r.read(a, 1, one);
      want.set(one[0], b - a);
    }
  }
  const read = (seed: number) => {
    const stream = new DomainStream(set, "code", "train", seed, 1);
    const got = new Map<number, number>();
    const order: number[] = [];
    const u = seeded(seed);
    let left = d.tokens.train;
    while (left > 0) {
      const n = Math.min(left, 1 + Math.floor(u() * 50));
      const buf = new Int32Array(n);
      stream.read(buf, 0, n);
      for (const t of buf) {
        got.set(t, (got.get(t) ?? 0) + 1);
        if (order[order.length - 1] !== t) order.push(t);
      }
      left -= n;
    }
    assert.throws(() => stream.read(new Int32Array(1), 0, 1), DataExhaustedError);
    return { got, order };
  };
  const a = read(1);
  assert.deepEqual(a.got, want, "every document once, whole");
  assert.equal(a.order.length, want.size, "each document read contiguously");
  assert.notDeepEqual(read(2).order, a.order, "another seed, another order");
}));
