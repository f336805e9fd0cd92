/** Recipes: splitting off prepare/finish, data filled in from the run folder, validation, and stage markers. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadRecipe, loadRunConfig } from "../../src/train/config.js";
import { splitRecipe } from "../../src/recipe/config.js";
import { runStage, stageHash, STAGE_FILE } from "../../src/recipe/stage.js";
import { ConfigError } from "../../src/util/schema.js";

const RECIPES = fileURLToPath(new URL("../../../recipes/", import.meta.url));

test("the demo recipe: data comes from what prepare writes under out_dir; train and plan read the same file", () => {
  const { config, recipe } = loadRecipe(join(RECIPES, "demo.yaml"), ["out_dir=\"/tmp/x/demo\""]);
  assert.deepEqual([config.data.kind, config.data.dir, config.data.tokenizer], ["shards", "/tmp/x/demo/data/tokens", "/tmp/x/demo/tokenizer"]);
  assert.equal(config.train.steps, 450);
  assert.equal(config.schedule.decay_start, 350, "the anneal phase places the decay window");
  assert.equal(recipe.prepare!.tokenizer.vocab_size, 4096);
  assert.equal(recipe.prepare!.corpus.demo!.max_bytes_by_domain.books, null);
  assert.deepEqual(Object.keys(recipe.prepare!.clean!.domains).sort(), ["code", "encyclopedia", "math"]);
  assert.ok(recipe.finish.tasks.length > 0);
  assert.equal(loadRunConfig(join(RECIPES, "demo.yaml")).data.kind, "shards");
  // a plain run config has no stages
  assert.equal(loadRecipe(join(RECIPES, "npm-docs-bytes.yaml")).recipe.prepare, null);
});

test("recipe mistakes are ConfigErrors that say what to change", () => {
  const base = { out_dir: "runs/x", prepare: { corpus: { demo: {} } } };
  const err = (doc: Record<string, unknown>) => assert.throws(() => splitRecipe(structuredClone(doc), "/r", "/w"), ConfigError);
  err({ ...base, data: { kind: "bytes" } });
  err({ out_dir: "x", prepare: { corpus: {} } });
  err({ out_dir: "x", prepare: { corpus: { demo: {}, files: { web: ["a"] } } } });
  err({ out_dir: "x", prepare: { corpus: { files: { "bad/name": ["a"] } } } });
  err({ ...base, prepare: { ...base.prepare, clean: { default: [] } } });
  err({ ...base, prepare: { ...base.prepare, tokenizer: { weights: { web: -1 } } } });
  err({ ...base, prepare: { corpus: { demo: { max_bytes_by_domain: { web: 0 } } } } });
  err({ ...base, finish: { samples: { a: 1 } } });
  err({ ...base, finish: { colour: "red" } });
  // a corpus path that does not exist is refused when the stage runs (prepareData), not here: the recipe may be
  // planned on another machine
  const ok = splitRecipe(structuredClone({ ...base, prepare: { corpus: { files: { web: "mail/" } } } }), "/r", "/w");
  assert.deepEqual(ok.prepare!.corpus.files, { web: ["/r/mail"] }, "corpus paths are relative to the recipe");
  assert.equal((ok.run.data as { dir: string }).dir, "/w/runs/x/data/tokens", "out_dir is relative to the working folder");
});

test("stages: done once, reused with the same settings, refused with other settings", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-stage-"));
  try {
    let runs = 0;
    const h1 = stageHash("", { a: 1 });
    const first = await runStage("demo", join(dir, "s"), h1, () => ({ n: ++runs }));
    assert.deepEqual([first.reused, first.summary], [false, { n: 1 }]);
    const again = await runStage("demo", join(dir, "s"), h1, () => ({ n: ++runs }));
    assert.deepEqual([again.reused, again.summary, runs], [true, { n: 1 }, 1]);
    assert.equal(JSON.parse(readFileSync(join(dir, "s", STAGE_FILE), "utf8")).hash, h1);
    // the hash chains: a change upstream changes every later stage's hash
    assert.notEqual(stageHash(stageHash("", { a: 2 }), { b: 1 }), stageHash(h1, { b: 1 }));
    await assert.rejects(runStage("demo", join(dir, "s"), stageHash("", { a: 2 }), () => ({ n: ++runs })),
      /demo stage in .* was made from other settings/);
    // a damaged marker is an error that says what to delete
    writeFileSync(join(dir, "s", STAGE_FILE), "{\"stage\": \"demo\", \"ha");
    await assert.rejects(runStage("demo", join(dir, "s"), h1, () => 1), /stage\.json is not valid JSON .*delete .*s to redo/);
    // a stage that failed leaves no marker and runs again
    await assert.rejects(runStage("broken", join(dir, "b"), h1, () => { throw new Error("boom"); }), /boom/);
    assert.equal((await runStage("broken", join(dir, "b"), h1, () => 5)).reused, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
