/** Every shipped data recipe parses and compiles into phases (its inputs are npm packages the project installs). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPipeline, buildSteps } from "../../../src/data/pipeline/config.js";
import { compilePhases } from "../../../src/data/pipeline/plan.js";
import { listInputFiles } from "../../../src/data/readers/index.js";

const RECIPES = fileURLToPath(new URL("../../../../recipes/data/", import.meta.url));

test("recipes/data: every pipeline parses; web and code find their offline inputs", () => {
  const files = readdirSync(RECIPES).filter((f) => f.endsWith(".yaml"));
  assert.ok(files.length >= 3);
  for (const f of files) {
    const p = loadPipeline(join(RECIPES, f));
    assert.ok(compilePhases(buildSteps(p)).length >= 1, f);
    if (f === "web.yaml" || f === "code.yaml") assert.ok(listInputFiles(p.config.input, p.baseDir).length > 50, `${f} has inputs`);
  }
});
