/** `pretrain plan` says when the automatic mixture rule will adjust the mixtures at run time. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatPlan, planReport } from "../../src/plan/report.js";
import { config } from "../train/curriculum-helpers.js";

test("the plan mentions the automatic mixture rule when it is on", () => {
  const paths = { data: "/nonexistent/shards", tok: "/nonexistent/tok" };
  const off = config("/tmp", "x", paths);
  const r0 = planReport(off, { devices: 1 });
  assert.equal(r0.autoMixture, null);
  assert.doesNotMatch(formatPlan(r0), /auto_mixture/);
  const on = config("/tmp", "x", paths, {
    curriculum: { phases: off.curriculum!.phases, auto_mixture: { enabled: true, strength: 0.3 } },
  });
  const r1 = planReport(on, { devices: 1 });
  assert.deepEqual(r1.autoMixture, { strength: 0.3, min_share: 0.5 });
  assert.match(formatPlan(r1), /curriculum\.auto_mixture is on \(strength 0\.3, min_share 0\.5\): every phase after the first has its mixture adjusted at run time/);
});
