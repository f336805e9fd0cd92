/**
 * The pipeline end to end on planted cases: exact and near duplicates, spam, broken records, a benchmark item
 * pasted into a document; deterministic output for any number of worker threads; relaunch runs only unfinished
 * ranks; another world size is refused; the array executor (SLURM variables) gives the same output.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, relative } from "node:path";
import { runLocal, runArrayTask, arrayRankFromEnv } from "../../../src/data/pipeline/executors.js";
import { prepare } from "../../../src/data/pipeline/prepare.js";
import { loadPipeline } from "../../../src/data/pipeline/config.js";
import { formatSummary } from "../../../src/data/pipeline/stats.js";
import { ensureZstd, zstdFrame } from "../../../src/data/writers/zstd.js";
import { Rng } from "../../../src/util/rng.js";
import { ConfigError } from "../../../src/util/schema.js";
import { mutate, prose, proseDoc, tempDir } from "../helpers.js";

const QUIET = { write: () => true };
const BENCH = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?";

async function corpus(dir: string): Promise<void> {
  const rng = new Rng(77);
  const lines: string[][] = [[], [], []];
  const add = (f: number, rec: unknown) => lines[f].push(typeof rec === "string" ? rec : JSON.stringify(rec));
  const bases: string[] = [];
  for (let i = 0; i < 30; i++) {
    const text = proseDoc(rng, 3, 50);
    bases.push(text);
    add(i % 3, { id: `doc${i}`, text });
  }
  add(1, { id: "exact-of-3", text: bases[3] });
  add(2, { id: "exact-ws-of-4", text: bases[4].replace(/ /g, "  ") + "\n" });
  add(0, { id: "near-of-5", text: mutate(rng, bases[5], 0.005) });
  add(2, { id: "near-of-6", text: mutate(rng, bases[6], 0.01) });
  add(1, { id: "spam", text: Array.from({ length: 40 }, () => "BUY NOW cheap pills!!! click here").join("\n") });
  add(0, { id: "boilerplate", text: Array.from({ length: 30 }, (_, i) => `Home ${i}\nAbout\nContact`).join("\n") });
  add(2, { id: "contaminated", text: prose(rng, 60) + " " + BENCH + " " + prose(rng, 60) });
  add(1, "{broken json");
  add(0, { id: "no-text", body: "x" });
  add(2, { id: "num", text: 5 });
  mkdirSync(join(dir, "in"), { recursive: true });
  writeFileSync(join(dir, "in", "a.jsonl"), lines[0].join("\n") + "\n");
  writeFileSync(join(dir, "in", "b.jsonl.gz"), gzipSync(lines[1].join("\n") + "\n"));
  await ensureZstd();
  const c = Buffer.concat([Buffer.from(lines[2].join("\n") + "\n"), Buffer.from('{"id":"bad-utf8","text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]);
  writeFileSync(join(dir, "in", "c.jsonl.zst"), zstdFrame(c));
  writeFileSync(join(dir, "evals.jsonl"), JSON.stringify({ id: "gsm-1", question: BENCH }) + "\n");
  writeFileSync(join(dir, "p.yaml"), `
name: planted
input: {paths: [in]}
output: {dir: out, keep_removed: true}
executor: {tasks: 3}
steps:
  - type: normalize
  - type: dedup_exact
  - type: minhash
    threshold: 0.8
  - type: filter_prose
    c4: {enabled: false}
  - type: decontaminate
    eval_sets: [{name: gsm, path: evals.jsonl, fields: [question], id_field: id}]
`);
}

function outputIds(out: string): string[] {
  const { decompress } = requireFzstd();
  const dir = join(out, "output");
  return readdirSync(dir).sort().flatMap((f) => Buffer.from(decompress(readFileSync(join(dir, f)))).toString().trim().split("\n").map((l) => JSON.parse(l).id as string));
}

let fz: typeof import("fzstd") | null = null;
function requireFzstd(): typeof import("fzstd") {
  return fz!;
}

/** sha256 of every file under output/ (path → hash). */
function tree(out: string, sub = "output"): Record<string, string> {
  const res: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else res[relative(out, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(join(out, sub));
  return res;
}

test("pipeline: planted cases removed by the expected step, broken records in rejected/, same output for 1 and 2 workers", async (t) => {
  fz = await import("fzstd");
  const dir = tempDir();
  await corpus(dir);
  const a = await runLocal(join(dir, "p.yaml"), { workers: 1, stream: QUIET });
  t.diagnostic(formatSummary(a.summary));
  const ids = new Set(outputIds(join(dir, "out")));
  // of each planted duplicate pair exactly one is kept (the first by rank and position)
  for (const [orig, dup] of [["doc3", "exact-of-3"], ["doc4", "exact-ws-of-4"], ["doc5", "near-of-5"], ["doc6", "near-of-6"]]) {
    assert.ok(ids.has(orig) !== ids.has(dup), `one of ${orig} and ${dup}`);
  }
  for (let i = 7; i < 30; i++) assert.ok(ids.has(`doc${i}`), `doc${i} kept`);
  for (const gone of ["spam", "boilerplate", "contaminated"]) assert.ok(!ids.has(gone), `${gone} removed`);
  assert.equal(ids.size, 30);
  const s = a.summary;
  assert.equal(s.read.docs, 37);
  assert.deepEqual(s.read.rejected, { "invalid json": 1, 'missing text field "text"': 1, 'text field "text" is not a string (number)': 1, "invalid utf-8": 1 });
  assert.deepEqual(s.steps.dedup_exact.removed, { "dedup_exact.duplicate": 2 });
  assert.deepEqual(s.steps.minhash.removed, { "minhash.near_duplicate": 2 });
  assert.equal(s.steps.decontaminate.removed["decontaminate.overlap"], 1);
  assert.equal(Object.values(s.steps.filter_prose.removed).reduce((x, y) => x + y, 0), 2);
  assert.equal(s.steps.dedup_exact.docs_in, 37);
  assert.equal(s.steps.dedup_exact.docs_out, 35);
  assert.equal(s.write.docs, 30);
  // rejected records name file, line and reason
  const rej = readdirSync(join(dir, "out", "rejected")).flatMap((f) => readFileSync(join(dir, "out", "rejected", f), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)));
  assert.deepEqual(rej.map((r) => `${r.file}: ${r.reason}`).sort(), [
    'in/a.jsonl: missing text field "text"', "in/b.jsonl.gz: invalid json", "in/c.jsonl.zst: invalid utf-8",
    'in/c.jsonl.zst: text field "text" is not a string (number)',
  ]);
  assert.ok(rej.every((r) => Number.isInteger(r.line) && r.line > 1), "with the line number");
  assert.equal(rej.find((r) => r.reason === "invalid json").sample, "{broken json");
  // the decontamination report says which item was hit and where
  const rep = readdirSync(join(dir, "out", "reports", "decontaminate")).flatMap((f) => readFileSync(join(dir, "out", "reports", "decontaminate", f), "utf8").trim().split("\n").map((l) => JSON.parse(l)));
  assert.equal(rep.length, 1);
  assert.equal(rep[0].id, "contaminated");
  assert.equal(rep[0].items[0].item, "gsm-1");
  // removed documents are kept with their rule
  assert.ok(existsSync(join(dir, "out", "removed")));
  assert.ok(existsSync(join(dir, "out", "stats.json")) && existsSync(join(dir, "out", "summary.txt")));
  assert.ok(!existsSync(join(dir, "out", "work")), "intermediate files removed at the end");
  // determinism: another run with two workers gives byte-identical output
  const b = await runLocal(join(dir, "p.yaml"), { workers: 2, stream: QUIET, overrides: ["output.dir=out2"] });
  assert.equal(b.summary.write.docs, 30);
  const t1 = tree(join(dir, "out"));
  assert.deepEqual(tree(join(dir, "out2")), t1);
  assert.equal(Object.keys(t1).length, 3, "one shard per rank");
});

test("pipeline: a relaunch runs only unfinished ranks; another world size or changed input is refused", async () => {
  fz = await import("fzstd");
  const dir = tempDir();
  await corpus(dir);
  const p = join(dir, "p.yaml");
  await runLocal(p, { workers: 2, stream: QUIET, overrides: ["output.keep_work=true"] });
  const before = tree(join(dir, "out"));
  const again = await runLocal(p, { workers: 2, stream: QUIET, overrides: ["output.keep_work=true"] });
  assert.equal(again.ranTasks, 0);
  // lose rank 1 of the last stage: its marker and output
  const last = readdirSync(join(dir, "out", "completions")).sort().at(-1)!;
  rmSync(join(dir, "out", "completions", last, "rank-00001"));
  for (const f of readdirSync(join(dir, "out", "output"))) if (f.startsWith("rank-00001")) rmSync(join(dir, "out", "output", f));
  const r = await runLocal(p, { workers: 2, stream: QUIET, overrides: ["output.keep_work=true"] });
  assert.equal(r.ranTasks, 1);
  assert.deepEqual(tree(join(dir, "out")), before);
  assert.equal(r.summary.write.docs, 30, "stats are merged over all tasks, not just the relaunched one");
  await assert.rejects(runLocal(p, { workers: 1, worldSize: 2, stream: QUIET, overrides: ["output.keep_work=true"] }),
    (e: Error) => e.name === "PlanError" && /planned for 3 tasks .* this launch has 2/.test(e.message));
  writeFileSync(join(dir, "in", "d.jsonl"), JSON.stringify({ text: "new" }) + "\n");
  await assert.rejects(runLocal(p, { workers: 1, stream: QUIET, overrides: ["output.keep_work=true"] }), /input files changed .*added: in\/d.jsonl/);
  await assert.rejects(runLocal(p, { workers: 1, stream: QUIET, overrides: ["output.keep_work=true", "output.max_docs_per_shard=5"] }), /different pipeline configuration/);
});

test("array executor: phase by phase, rank by rank (SLURM variables), same output as the local executor", async () => {
  fz = await import("fzstd");
  const dir = tempDir();
  await corpus(dir);
  const p = join(dir, "p.yaml");
  await runLocal(p, { workers: 2, stream: QUIET });
  const prepared = prepare(p, ["output.dir=arr"], 3);
  await assert.rejects(runArrayTask(p, { overrides: ["output.dir=arr"], rank: 0, worldSize: 3, phase: null, stream: QUIET }), /phases; run them one after another with --phase \(0=stage-0, 1=dedup_exact.find/);
  await assert.rejects(runArrayTask(p, { overrides: ["output.dir=arr"], rank: 0, worldSize: 3, phase: "stage-1", stream: QUIET }), /needs phase dedup_exact.find complete on every rank; missing ranks: 0, 1, 2/);
  let summary = null;
  for (const ph of prepared.phases) {
    for (let rank = 2; rank >= 0; rank--) {
      const env = { SLURM_ARRAY_TASK_ID: String(rank), SLURM_ARRAY_TASK_COUNT: "3" };
      const { rank: r, worldSize } = arrayRankFromEnv(undefined, undefined, env);
      const res = await runArrayTask(p, { overrides: ["output.dir=arr"], rank: r, worldSize, phase: ph.name, stream: QUIET });
      summary = res.summary ?? summary;
    }
  }
  assert.ok(summary, "the last task writes the summary");
  assert.equal(summary!.write.docs, 30);
  assert.deepEqual(tree(join(dir, "arr")), tree(join(dir, "out")));
  assert.throws(() => arrayRankFromEnv(undefined, undefined, {}), /needs --rank and --world-size/);
  assert.throws(() => arrayRankFromEnv(5, 3, {}), /outside 0..2/);
});

test("pipeline files: unknown keys and step types are errors that name the key and what is allowed", () => {
  const dir = tempDir();
  mkdirSync(join(dir, "in"));
  const write = (yaml: string) => {
    writeFileSync(join(dir, "p.yaml"), yaml);
    return () => loadPipeline(join(dir, "p.yaml"));
  };
  assert.throws(write("input: {paths: [in], txt_field: x}\noutput: {dir: o}\nsteps: [{type: normalize}]"),
    (e: Error) => e instanceof ConfigError && /unknown key "input.txt_field"; allowed keys here: paths, format, text_field/.test(e.message));
  assert.throws(write("input: {paths: [in]}\noutput: {dir: o}\nsteps: [{type: dedup}]"), /steps\[0\].type must be one of normalize, dedup_exact, minhash/);
  assert.throws(write("input: {paths: [in]}\noutput: {dir: o}\nsteps: [{type: minhash, treshold: 0.8}]"), /unknown key "steps.minhash.treshold"/);
  assert.throws(write("input: {paths: [in]}\noutput: {dir: o}\nsteps: [{type: normalize}, {type: normalize}]"), /two steps are named "normalize"/);
  assert.throws(write("input: {paths: [in]}\noutput: {dir: o, format: parquet, compression: gzip}\nsteps: [{type: normalize}]"), /"gzip" is for jsonl/);
});
