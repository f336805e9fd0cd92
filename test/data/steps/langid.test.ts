import { test } from "node:test";
import assert from "node:assert/strict";
import { createLangid, identify } from "../../../src/data/steps/langid.js";
import { Rng } from "../../../src/util/rng.js";
import { doc, proseDoc, runStep } from "../helpers.js";

const english = proseDoc(new Rng(11), 2, 60);
const german = "Die Bundesregierung hat am Mittwoch beschlossen, dass die neuen Regeln für den Handel mit Energie ab dem nächsten Jahr gelten sollen. " +
  "Viele Unternehmen begrüßen die Entscheidung, weil sie endlich Planungssicherheit haben, während die Verbände noch Fragen zur Umsetzung stellen.";
const french = "Le gouvernement a présenté mercredi un projet de loi sur le logement qui doit permettre de construire davantage de maisons dans les villes " +
  "où les prix ont fortement augmenté au cours des dernières années, selon le ministre chargé du dossier.";
const gibberish = "qzx vbnm wrtp kjhg fdsq zxcv bnmq wert yuio pqwe rtyu iopa sdfg hjkl zxcv qwer tyui opas dfgh jklz xcvb nmqw ertz";

test("langid: English kept with a good score, other languages and gibberish removed, language written to meta", async () => {
  const step = createLangid({ type: "langid", languages: ["eng"] }, "langid");
  const { kept, ctx } = await runStep(step, [doc("en", english), doc("de", german), doc("fr", french), doc("junk", gibberish), doc("tiny", "ok")]);
  assert.deepEqual(kept.map((d) => d.id), ["en"]);
  assert.equal(kept[0].meta.language, "eng");
  assert.ok((kept[0].meta.language_score as number) > 0.1);
  const why = Object.fromEntries(ctx.removed.map((r) => [r.id, r.reason]));
  assert.equal(why.de, "langid.language");
  assert.equal(why.fr, "langid.language");
  assert.equal(why.tiny, "langid.undetermined");
  assert.match(why.junk, /langid\.(language|min_score)/);
  assert.equal(identify(german, { sample_chars: 1500, min_chars: 20, candidates: [], ignore: ["sco"] }).language, "deu");
  assert.equal(identify(french, { sample_chars: 1500, min_chars: 20, candidates: [], ignore: ["sco"] }).language, "fra");
});

test("langid: the score threshold removes weak matches; [] keeps every language", async () => {
  const strict = createLangid({ type: "langid", languages: ["eng"], min_score: 0.99 }, "l");
  assert.equal((await runStep(strict, [doc("en", english)])).ctx.removed[0].reason, "langid.min_score");
  const any = createLangid({ type: "langid", languages: [], min_score: 0 }, "l");
  const { kept } = await runStep(any, [doc("de", german), doc("en", english)]);
  assert.deepEqual(kept.map((d) => d.meta.language), ["deu", "eng"]);
});
