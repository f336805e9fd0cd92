import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../src/util/schema.js";
import {
  describeSchedule, lrMultiplier, resolveSchedule, yulanMiniSchedule, type DecayShape, type ScheduleConfig,
} from "../../src/train/schedule.js";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `expected ${b}, got ${a} (diff ${a - b})`);

/** A decay-only schedule: steps 100..500 decay from `start` to `end`. */
function decay(shape: DecayShape, extra: Partial<ScheduleConfig> = {}): ScheduleConfig {
  return resolveSchedule({
    decay_start: 100, decay_steps: 400, decay_shape: shape, start_lambda: 1, end_lambda: 0,
    ...(shape === "exponential" ? { half_life: 100 } : {}), ...extra,
  });
}

describe("resolveSchedule", () => {
  test("defaults: no warmup, no decay, 1-sqrt shape, λ from 1 to 0", () => {
    assert.deepEqual(resolveSchedule({}), {
      warmup_steps: 0, decay_start: null, decay_steps: null, decay_shape: "1-sqrt", start_lambda: 1,
      end_lambda: 0, half_life: null, clamp_step: null,
    });
    assert.deepEqual(resolveSchedule(undefined), resolveSchedule({}));
  });

  test("config errors name the key", () => {
    const bad = (input: unknown, re: RegExp) => assert.throws(() => resolveSchedule(input, "train.schedule"),
      (e: unknown) => e instanceof ConfigError && re.test(e.message));
    bad({ warmup: 10 }, /unknown key "train\.schedule\.warmup"/);
    bad({ decay_start: 10 }, /"train\.schedule\.decay_steps" is required when "train\.schedule\.decay_start" is set/);
    bad({ decay_start: 10, decay_steps: 5, decay_shape: "exponential" }, /"train\.schedule\.half_life" is required/);
    bad({ decay_start: 10, decay_steps: 5, half_life: 3 }, /half_life" only applies to decay_shape "exponential"/);
    bad({ warmup_steps: -1 }, /bad value for "train\.schedule\.warmup_steps"/);
    bad({ warmup_steps: 1.5 }, /warmup_steps/);
    bad({ decay_start: -5, decay_steps: 5 }, /decay_start/);
    bad({ decay_start: 5, decay_steps: 0 }, /decay_steps/);
    bad({ decay_start: 5, decay_steps: 10, start_lambda: -1 }, /start_lambda/);
    bad({ decay_start: 5, decay_steps: 10, end_lambda: -0.1 }, /end_lambda/);
    bad({ decay_start: 5, decay_steps: 10, decay_shape: "exponential", half_life: 0 }, /half_life/);
    bad({ decay_start: 5, decay_steps: 10, decay_shape: "cos" }, /decay_shape.*one of "linear", "cosine"/);
    bad({ decay_start: 5, decay_steps: 10, clamp_step: 4 }, /clamp_step" \(4\) must be ≥/);
    bad({ decay_steps: 10 }, /decay_steps" is set but .*decay_start" is null/);
    bad({ clamp_step: 10 }, /clamp_step" is set but/);
    bad("fast", /must be an object/);
  });

  test("lrMultiplier refuses a bad step", () => {
    const c = resolveSchedule({});
    for (const s of [-1, 1.5, NaN, Infinity]) assert.throws(() => lrMultiplier(s, c), RangeError);
  });
});

describe("decay shapes at p = 0, ¼, ½, 1", () => {
  // Expected values written out from the definitions, not from the code under test.
  const steps = [100, 200, 300, 500]; // p = 0, 0.25, 0.5, 1 with decay_start 100, decay_steps 400
  const cases: [DecayShape, number[]][] = [
    ["linear", [1, 0.75, 0.5, 0]],
    ["cosine", [1, (1 + Math.SQRT1_2) / 2, 0.5, 0]],
    ["1-sqrt", [1, 0.5, 1 - Math.SQRT1_2, 0]],
    // half-life 100 steps: 0, 100, 200, 400 steps into the window.
    ["exponential", [1, 0.5, 0.25, 0.0625]],
  ];
  for (const [shape, expected] of cases) {
    test(`${shape}`, () => {
      const c = decay(shape);
      steps.forEach((s, i) => close(lrMultiplier(s, c), expected[i]));
      close(lrMultiplier(10_000, c), expected[3]); // holds its final value after the window
    });
  }

  test("start and end λ other than 1 and 0", () => {
    const c = decay("linear", { start_lambda: 0.8, end_lambda: 0.1 });
    close(lrMultiplier(100, c), 0.8);
    close(lrMultiplier(300, c), 0.45);
    close(lrMultiplier(500, c), 0.1);
    close(lrMultiplier(99, c), 1, 0); // still stable before the window
    const e = decay("exponential", { start_lambda: 1, end_lambda: 0.2 });
    close(lrMultiplier(200, e), 0.2 + 0.8 * 0.5);
    const up = decay("1-sqrt", { start_lambda: 0.5, end_lambda: 1 }); // an increasing "decay" is allowed
    close(lrMultiplier(200, up), 1 + (0.5 - 1) * 0.5);
  });

  test("each shape is non-increasing and ends at its final value", () => {
    for (const shape of ["linear", "cosine", "1-sqrt", "exponential"] as DecayShape[]) {
      const c = decay(shape);
      let prev = Infinity;
      for (let s = 0; s <= 600; s++) {
        const v = lrMultiplier(s, c);
        assert.ok(v <= prev, `${shape} rises at step ${s}`);
        assert.ok(v >= 0 && v <= 1);
        prev = v;
      }
    }
  });
});

describe("phases", () => {
  test("warmup: λ = s/W, λ(0) = 0, then stable", () => {
    const c = resolveSchedule({ warmup_steps: 4 });
    assert.deepEqual([0, 1, 2, 3, 4, 5, 1000].map((s) => lrMultiplier(s, c)), [0, 0.25, 0.5, 0.75, 1, 1, 1]);
  });

  test("warmup longer than the run never reaches 1", () => {
    const c = resolveSchedule({ warmup_steps: 1000 });
    for (let s = 0; s < 100; s++) close(lrMultiplier(s, c), s / 1000);
  });

  test("the full WSD shape: warmup, stable, decay, floor", () => {
    const c = resolveSchedule({ warmup_steps: 10, decay_start: 50, decay_steps: 10, decay_shape: "linear" });
    const lam = (s: number) => lrMultiplier(s, c);
    close(lam(5), 0.5);
    close(lam(10), 1);
    close(lam(49), 1);
    close(lam(50), 1);
    close(lam(55), 0.5);
    close(lam(60), 0);
    close(lam(61), 0);
  });

  test("a run that ends inside the decay window stops at the value reached", () => {
    const c = resolveSchedule({ decay_start: 100, decay_steps: 400, decay_shape: "1-sqrt" });
    const lastStep = 199; // a 200-step run: steps 0..199
    close(lrMultiplier(lastStep, c), 1 - Math.sqrt(99 / 400));
  });

  test("decay starting at 0: no stable phase, and it overrides warmup", () => {
    const c = resolveSchedule({ decay_start: 0, decay_steps: 4, decay_shape: "linear" });
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((s) => lrMultiplier(s, c)), [1, 0.75, 0.5, 0.25, 0, 0]);
    const w = resolveSchedule({ warmup_steps: 10, decay_start: 5, decay_steps: 5, decay_shape: "linear" });
    close(lrMultiplier(4, w), 0.4);
    close(lrMultiplier(5, w), 1); // the decay window takes precedence over the unfinished warmup
    close(lrMultiplier(7, w), 0.6);
  });

  test("clamp_step freezes the decay progress", () => {
    const c = decay("linear", { clamp_step: 300 });
    close(lrMultiplier(300, c), 0.5);
    close(lrMultiplier(400, c), 0.5);
    close(lrMultiplier(1e6, c), 0.5);
    const e = decay("exponential", { clamp_step: 200 });
    close(lrMultiplier(450, e), 0.5);
  });
});

describe("YuLan-Mini", () => {
  const y = yulanMiniSchedule();

  test("is a valid config", () => {
    assert.deepEqual(resolveSchedule(y), y);
  });

  test("λ = 1 − √((min(s, 262000) − 243198)/19000), final ≈ 0.005224", () => {
    close(lrMultiplier(0, y), 1);
    close(lrMultiplier(243197, y), 1);
    close(lrMultiplier(243198, y), 1);
    close(lrMultiplier(243198 + 4750, y), 0.5);
    close(lrMultiplier(252698, y), 1 - Math.sqrt(9500 / 19000));
    const final = 1 - Math.sqrt(18802 / 19000);
    close(lrMultiplier(262000, y), final);
    close(lrMultiplier(262165, y), final);
    close(lrMultiplier(262198, y), final);
    close(lrMultiplier(300000, y), final);
    assert.equal(final.toFixed(6), "0.005224");
  });

  test("describeSchedule summarises it in one line", () => {
    const text = describeSchedule(y);
    assert.ok(!text.includes("\n"));
    assert.equal(text,
      "stable λ=1 until step 243198 → 1-sqrt decay 1→0 over steps 243198–262198, clamped at step 262000 " +
      "(final λ 0.005224)");
  });
});

test("describeSchedule: other schedules", () => {
  assert.equal(describeSchedule(resolveSchedule({})), "stable λ=1");
  assert.equal(describeSchedule(resolveSchedule({ warmup_steps: 100 })), "warmup 0→1 over 100 steps → stable λ=1");
  assert.equal(describeSchedule(resolveSchedule({ decay_start: 0, decay_steps: 10, decay_shape: "exponential",
    half_life: 5, end_lambda: 0.1 })), "exponential decay 1→0.1 (half-life 5 steps) over steps 0–10");
});
