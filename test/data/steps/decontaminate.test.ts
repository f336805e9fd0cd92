import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDecontaminate, NgramIndex } from "../../../src/data/steps/decontaminate.js";
import { Rng } from "../../../src/util/rng.js";
import { doc, prose, proseDoc, runStep, tempDir, writeJsonl } from "../helpers.js";

test("decontamination: a benchmark item pasted into a document is found despite case and punctuation changes, and reported", async () => {
  const dir = tempDir();
  const rng = new Rng(5);
  const q1 = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?";
  const q2 = "A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take to make the robe?";
  writeJsonl(join(dir, "gsm.jsonl"), [{ id: "gsm-1", question: q1, answer: "72" }, { id: "gsm-2", question: q2, answer: "3" }, { id: "gsm-3", question: "Too short.", answer: "1" }]);
  writeFileSync(join(dir, "cloze.txt"), prose(rng, 40) + "\n\n" + prose(rng, 40) + "\n");
  const step = createDecontaminate({
    type: "decontaminate", eval_sets: [
      { name: "gsm-proxy", path: "gsm.jsonl", fields: ["question", "answer"], id_field: "id" },
      { name: "cloze", path: "cloze.txt", split: "paragraph" },
    ],
  }, "decontaminate", { baseDir: dir });
  const clean = proseDoc(rng, 3, 50);
  const pasted = prose(rng, 30) + " " + q1.toUpperCase().replace(/,/g, " ;") + " " + prose(rng, 30);
  const partial = prose(rng, 30) + " " + q2.split(" ").slice(0, 12).join(" ") + " " + prose(rng, 20); // 12 words < 13
  const { kept, ctx } = await runStep(step, [doc("clean", clean), doc("pasted", pasted), doc("partial", partial)]);
  assert.deepEqual(kept.map((d) => d.id), ["clean", "partial"]);
  assert.deepEqual(ctx.removed.map((r) => [r.id, r.reason, r.detail]), [["pasted", "decontaminate.overlap", "gsm-proxy/gsm-1"]]);
  const rep = ctx.reports[0] as { id: string; items: { eval_set: string; item: string; matches: number; char_start: number; match: string }[] };
  assert.equal(rep.id, "pasted");
  assert.equal(rep.items[0].item, "gsm-1");
  assert.ok(rep.items[0].matches >= 10);
  assert.equal(rep.items[0].char_start, pasted.indexOf("NATALIA"));
  assert.match(rep.items[0].match, /^NATALIA SOLD CLIPS/);
  assert.equal(ctx.counters["hits.gsm-proxy"], 1);
  assert.match(ctx.logs[0], /4 evaluation items, .* n-grams \(1 items too short\)/);
});

test("decontamination: report mode keeps documents; ngram size and min_matches are configurable; short items indexed whole", async () => {
  const dir = tempDir();
  const item = "the quick brown fox jumps over the lazy dog";
  writeFileSync(join(dir, "items.txt"), item + "\n");
  const step = createDecontaminate({ type: "decontaminate", eval_sets: [{ name: "s", path: "items.txt", split: "line" }], action: "report", ngram: 13, min_item_words: 5 }, "d", { baseDir: dir });
  const { kept, ctx } = await runStep(step, [doc("a", "Intro words here. The quick brown fox jumps over the lazy dog! And more.")]);
  assert.equal(kept.length, 1);
  assert.equal(ctx.counters.reported, 1);
  const idx = new NgramIndex(4, 4);
  idx.add({ set: "s", id: "1", text: "alpha beta gamma delta epsilon" });
  assert.equal(idx.size, 2);
  assert.equal(idx.lookup("x alpha beta gamma delta y").get(0)?.matches, 1);
  const strict = createDecontaminate({ type: "decontaminate", eval_sets: [{ name: "s", path: "items.txt", split: "line" }], min_matches: 2, min_item_words: 5 }, "d", { baseDir: dir });
  assert.equal((await runStep(strict, [doc("a", item)])).kept.length, 1, "one whole-item match < min_matches 2");
});
