import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { evaluate, splitHeldOut, trainClassifier, sortLabels, type LabelledExample } from "../../../src/data/steps/classifier/train.js";
import { TextClassifier } from "../../../src/data/steps/classifier/model.js";
import { bucketOf, createClassify } from "../../../src/data/steps/classify.js";
import { Rng } from "../../../src/util/rng.js";
import { doc, prose, runStep, tempDir } from "../helpers.js";

const MATH = ["theorem", "integral", "equation", "prime", "derivative", "matrix", "proof", "lemma", "polynomial", "vector", "sum", "limit"];

function mathText(rng: Rng): string {
  const words = prose(rng, 40).split(" ");
  for (let i = 0; i < 8; i++) words[rng.int(words.length)] = MATH[rng.int(MATH.length)];
  return words.join(" ") + ` Let x = ${rng.int(9)} + ${rng.int(9)}.`;
}

function dataset(n: number, seed: number): LabelledExample[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => (i % 2 ? { text: mathText(rng), label: "math" } : { text: prose(rng, 45), label: "other" }));
}

test("classifier: learns a planted topic, reports held-out accuracy, saves and loads identically, deterministic", () => {
  const data = dataset(600, 1);
  const { train, valid } = splitHeldOut(data, 0.2, 1);
  assert.equal(valid.length, 120);
  const opts = { dim: 8, buckets: 1 << 14, wordNgrams: 2, minn: 3, maxn: 4, maxWords: 200, epochs: 10, lr: 1, seed: 3 };
  const model = trainClassifier(train, opts);
  const ev = evaluate(model, valid);
  assert.ok(ev.accuracy >= 0.95, `held-out accuracy ${ev.accuracy}`);
  assert.equal(ev.examples, 120);
  assert.deepEqual(model.labels, ["math", "other"]);
  const again = trainClassifier(train, opts);
  assert.deepEqual(again.predict(valid[0].text), model.predict(valid[0].text), "same data and seed, same model");
  const path = join(tempDir(), "m.safetensors");
  model.save(path);
  const loaded = TextClassifier.load(path);
  assert.deepEqual(loaded.predict(valid[1].text), model.predict(valid[1].text));
  assert.deepEqual(sortLabels(["10", "2", "0"]), ["0", "2", "10"]);
});

test("classify step: probability buckets named like YuLan-Mini's (06_07 …), score mode for numeric labels, removal under min", async () => {
  assert.equal(bucketOf(0.65, [0.6, 0.7, 0.8, 0.9, 1.0]), "06_07");
  assert.equal(bucketOf(1.0, [0.6, 0.7, 0.8, 0.9, 1.0]), "09_10");
  assert.equal(bucketOf(0.5, [0.6, 0.7]), null);
  const dir = tempDir();
  const model = trainClassifier(dataset(400, 2), { dim: 8, buckets: 1 << 14, wordNgrams: 2, minn: 3, maxn: 4, maxWords: 200, epochs: 10, lr: 1, seed: 1 });
  model.save(join(dir, "math.safetensors"));
  const step = createClassify({ type: "classify", model: "math.safetensors", mode: "probability", label: "math", edges: [0.6, 0.7, 0.8, 0.9, 1.0], min: 0.6, meta_key: "math_prob" }, "recall", { baseDir: dir });
  const rng = new Rng(9);
  const { kept, ctx } = await runStep(step, [doc("m", mathText(rng)), doc("o", prose(rng, 45))]);
  assert.deepEqual(kept.map((d) => d.id), ["m"]);
  assert.ok((kept[0].meta.math_prob as number) >= 0.9);
  assert.equal(kept[0].meta.bucket, "09_10");
  assert.equal(ctx.removed[0].reason, "classify.below_min");
  // quality scores 0..5: expected value of the numeric labels
  const q: LabelledExample[] = [];
  const r2 = new Rng(4);
  for (let i = 0; i < 300; i++) q.push(i % 2 ? { text: mathText(r2), label: "5" } : { text: prose(r2, 45), label: "0" });
  trainClassifier(q, { dim: 8, buckets: 1 << 14, wordNgrams: 2, minn: 3, maxn: 4, maxWords: 200, epochs: 10, lr: 1, seed: 1 }).save(join(dir, "q.safetensors"));
  const score = createClassify({ type: "classify", model: "q.safetensors", mode: "score", meta_key: "quality" }, "quality", { baseDir: dir });
  const s = await runStep(score, [doc("m", mathText(rng)), doc("o", prose(rng, 45))]);
  assert.equal(s.kept[0].meta.bucket, "score_5");
  assert.equal(s.kept[1].meta.bucket, "score_0");
  assert.throws(() => createClassify({ type: "classify", model: "x", mode: "probability" }, "c", { baseDir: dir }), /label is required/);
});
