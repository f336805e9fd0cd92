/**
 * The μP coordinate check: after a few Adam steps at one learning rate, activation size is flat in width under
 * μP and grows with width under standard parametrization — asserted with a clear margin on the slopes of log RMS
 * against log width.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getKernels } from "../../src/kernels/index.js";
import { logLogSlope, mupCheckConfig, MUP_CHECK_DEFAULTS, runMupCheck } from "../../src/train/mup-check.js";
import { groupSettings, resolveOptimizer } from "../../src/train/optimizer.js";

const k = getKernels("native", 1);

test("logLogSlope: a power law's exponent", () => {
  assert.ok(Math.abs(logLogSlope([32, 64, 128], [3, 6, 12]) - 1) < 1e-12);
  assert.ok(Math.abs(logLogSlope([32, 64, 128], [5, 5, 5])) < 1e-12);
});

test("the two arms differ only in the parametrization", () => {
  const o = { ...MUP_CHECK_DEFAULTS, widths: [32, 128] };
  const mup = mupCheckConfig("mup", 128, o);
  const sp = mupCheckConfig("sp", 128, o);
  assert.equal(mup.dim_model_base, 32);
  assert.equal(mup.logit_scale_base, 32);
  assert.equal(sp.dim_model_base, null);
  assert.equal(sp.logit_scale_base, 128);
  const opt = resolveOptimizer({ lr: 0.01 });
  assert.equal(groupSettings(opt, mup).hidden.lr, 0.01 / 4);
  assert.equal(groupSettings(opt, sp).hidden.lr, 0.01);
  // (wesar_init holds the μP factors as gate values; with wesar off they go into the init σ instead)
  const { dim_model_base: _a, logit_scale_base: _b, wesar_init: _c, ...restMup } = mup;
  const { dim_model_base: _d, logit_scale_base: _e, wesar_init: _f, ...restSp } = sp;
  assert.equal(mup.wesar, false);
  assert.deepEqual(restMup, restSp);
});

test("coordinate check: flat in width under μP, growing under standard parametrization", () => {
  // (measured over seeds 1–4: μP slopes −0.29 … 0.00, SP slopes 2.7 … 3.6)
  const r = runMupCheck(k, { widths: [64, 128, 256], steps: 4 });
  for (const a of ["attn_branch", "mlp_branch", "residual"] as const) {
    const mu = r.slopes.mup[a];
    const sp = r.slopes.sp[a];
    assert.ok(Math.abs(mu) < 0.45, `${a}: μP slope ${mu.toFixed(2)} should be about 0`);
    assert.ok(sp > 1.5, `${a}: SP slope ${sp.toFixed(2)} should be clearly positive`);
    assert.ok(sp - mu > 1.5, `${a}: SP − μP slope ${(sp - mu).toFixed(2)}`);
  }
  // the embedding's size does not depend on width in either (Adam moves each coordinate by about lr)
  assert.ok(Math.abs(r.slopes.mup.embed) < 0.1 && Math.abs(r.slopes.sp.embed) < 0.1);
  // widest SP model: the residual stream is more than 10× the μP one after 4 steps
  const at = (p: "mup" | "sp") => r.rows.find((x) => x.parametrization === p && x.width === 256 && x.step === 4)!.rms.residual;
  assert.ok(at("sp") > 10 * at("mup"), `SP ${at("sp")} vs μP ${at("mup")}`);
  assert.equal(r.rows.length, 2 * 3 * 5);
});
