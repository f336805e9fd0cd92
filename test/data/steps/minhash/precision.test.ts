/**
 * MinHash-LSH against exact Jaccard on a corpus with planted near-duplicates at several similarity levels, run
 * through the whole pipeline (signatures → buckets → clusters → filter on 3 ranks). Prints precision and recall
 * of duplicate pairs and the detection rate per similarity band (the figures quoted in docs/data.md).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runLocal } from "../../../../src/data/pipeline/executors.js";
import { jaccard, shingles } from "../../../../src/data/steps/minhash/lsh.js";
import { Rng } from "../../../../src/util/rng.js";
import { mutate, proseDoc, tempDir, writeJsonl } from "../../helpers.js";

const LEVELS = [0.003, 0.01, 0.02, 0.03, 0.045, 0.07, 0.1, 0.15];
const BINS = [[0, 0.5], [0.5, 0.7], [0.7, 0.8], [0.8, 0.9], [0.9, 1.01]] as const;

test("MinHash-LSH: precision and recall against exact Jaccard on planted near-duplicates", async (t) => {
  const dir = tempDir();
  const rng = new Rng(2024);
  const docs: { id: string; text: string; group: number }[] = [];
  for (let g = 0; g < 60; g++) {
    const base = proseDoc(rng, 2, 90);
    docs.push({ id: `g${g}-base`, text: base, group: g });
    for (const p of LEVELS) docs.push({ id: `g${g}-p${p}`, text: mutate(rng, base, p), group: g });
  }
  // shuffle so that groups are spread over files and ranks
  for (let i = docs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [docs[i], docs[j]] = [docs[j], docs[i]];
  }
  for (let f = 0; f < 3; f++) writeJsonl(join(dir, "in", `part-${f}.jsonl`), docs.filter((_, i) => i % 3 === f).map((d) => ({ id: d.id, text: d.text })));
  writeFileSync(join(dir, "p.yaml"), [
    "input: {paths: [in]}", "output: {dir: out, compression: none}", "executor: {tasks: 3}",
    "steps:", "  - {type: minhash, threshold: 0.8, num_perm: 128, ngram: 5}",
  ].join("\n"));
  await runLocal(join(dir, "p.yaml"), { workers: 2, stream: { write: () => true } });

  // exact Jaccard of every pair
  const sh = docs.map((d) => shingles(d.text, { unit: "word", ngram: 5, lowercase: true }));
  const index = new Map(docs.map((d, i) => [d.id, i]));
  const truth = new Set<string>();
  const simOf = new Map<string, number>();
  for (let i = 0; i < docs.length; i++) {
    for (let j = i + 1; j < docs.length; j++) {
      if (docs[i].group !== docs[j].group) continue; // different groups: independent random text (J ≈ 0)
      const J = jaccard(sh[i], sh[j]);
      const key = i < j ? `${i},${j}` : `${j},${i}`;
      simOf.set(key, J);
      if (J >= 0.8) truth.add(key);
    }
  }
  // predicted: pairs in the same cluster (from the cluster report)
  const reportDir = join(dir, "out", "reports", "minhash");
  const clusters = readdirSync(reportDir).flatMap((f) => readFileSync(join(reportDir, f), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { kept: string; removed: string[] }));
  const predicted = new Set<string>();
  for (const c of clusters) {
    const members = [c.kept, ...c.removed].map((id) => index.get(id)!);
    for (let a = 0; a < members.length; a++) for (let b = a + 1; b < members.length; b++) {
      const [i, j] = members[a] < members[b] ? [members[a], members[b]] : [members[b], members[a]];
      predicted.add(`${i},${j}`);
    }
  }
  const hit = [...predicted].filter((k) => truth.has(k)).length;
  const precision = hit / predicted.size;
  const recall = hit / truth.size;
  const rows = BINS.map(([lo, hi]) => {
    const pairs = [...simOf].filter(([, J]) => J >= lo && J < hi);
    const found = pairs.filter(([k]) => predicted.has(k)).length;
    return { bin: `[${lo}, ${Math.min(hi, 1)}${hi > 1 ? "]" : ")"}`, pairs: pairs.length, detected: found, rate: pairs.length ? found / pairs.length : 0 };
  });
  // the same on direct (base, variant) pairs only, where the cluster's transitivity plays no part
  const direct = [...simOf.keys()].filter((k) => k.split(",").some((i) => docs[Number(i)].id.endsWith("-base")));
  const dTrue = direct.filter((k) => truth.has(k));
  const dPred = direct.filter((k) => predicted.has(k));
  const dHit = dPred.filter((k) => truth.has(k)).length;
  const out = readdirSync(join(dir, "out", "output")).flatMap((f) => readFileSync(join(dir, "out", "output", f), "utf8").trim().split("\n"));
  t.diagnostic(`documents ${docs.length}, kept ${out.length}, clusters ${clusters.length}; true pairs (J ≥ 0.8) ${truth.size}, predicted pairs ${predicted.size}`);
  t.diagnostic(`pair precision ${precision.toFixed(3)}, pair recall ${recall.toFixed(3)}`);
  t.diagnostic(`direct (base, variant) pairs: precision ${(dHit / dPred.length).toFixed(3)}, recall ${(dHit / dTrue.length).toFixed(3)}`);
  for (const r of rows) t.diagnostic(`J in ${r.bin}: ${r.detected}/${r.pairs} pairs in one cluster (${(100 * r.rate).toFixed(1)}%)`);
  assert.ok(recall >= 0.85, `recall ${recall}`);
  assert.ok(precision >= 0.75, `precision ${precision}`);
  assert.ok(rows[4].rate >= 0.95, "J ≥ 0.9 found");
  assert.ok(rows[1].rate <= 0.05 && rows[0].rate <= 0.01, "J < 0.7 rarely merged");
  // one document kept per cluster
  assert.equal(out.length, docs.length - clusters.reduce((a, c) => a + c.removed.length, 0));
});
