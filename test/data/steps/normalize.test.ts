import { test } from "node:test";
import assert from "node:assert/strict";
import { createNormalize } from "../../../src/data/steps/normalize.js";
import { ConfigError } from "../../../src/util/schema.js";
import { doc, runStep } from "../helpers.js";

test("normalize: NFC, newlines, controls, invisible characters, Unicode spaces, trailing spaces, blank-line runs", async () => {
  const step = createNormalize({ type: "normalize" }, "normalize");
  const { kept, ctx } = await runStep(step, [
    doc("a", "  Cafe\u0301 \u00a0ok\r\nline\u0007 two\u200b   \r\n\n\n\n\nend\t \u2028last  "),
    doc("b", "already clean"),
    doc("c", " \u200b\u0000 \n"),
  ]);
  assert.equal(kept[0].text, "Café  ok\nline two\n\n\nend\nlast");
  assert.equal(kept[1].text, "already clean");
  assert.equal(kept.length, 2);
  assert.deepEqual(ctx.removed.map((r) => [r.id, r.reason]), [["c", "normalize.empty"]]);
  assert.equal(ctx.counters.modified, 1);
});

test("normalize: every option can be turned off; collapse_spaces and NFKC on request; unknown keys are errors", async () => {
  const off = createNormalize({ type: "normalize", form: "none", newlines: false, remove_control: false, remove_invisible: false,
    unicode_spaces: false, strip_lines: false, max_blank_lines: null, trim: false }, "n");
  const raw = " a\r\n\u0007\u200b\u00a0 \n\n\n\nb ";
  assert.equal((await runStep(off, [doc("x", raw)])).kept[0].text, raw);
  const nfkc = createNormalize({ type: "normalize", form: "NFKC", collapse_spaces: true }, "n");
  assert.equal((await runStep(nfkc, [doc("x", "ﬁne   and\t\tﬂat")])).kept[0].text, "fine and flat");
  assert.throws(() => createNormalize({ type: "normalize", nfc: true }, "n"), (e: Error) => e instanceof ConfigError && /unknown key "steps.n.nfc"; allowed keys here: .*form/.test(e.message));
});
