/** Planted documents for the prose, code and math filters, each with the rule expected to fire. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createProseFilter } from "../../../src/data/steps/filters/prose.js";
import { createCodeFilter } from "../../../src/data/steps/filters/code.js";
import { createMathFilter } from "../../../src/data/steps/filters/math.js";
import { Rng } from "../../../src/util/rng.js";
import { doc, prose, proseDoc, runStep, verdicts } from "../helpers.js";

const rng = new Rng(7);
const good = proseDoc(rng, 4, 60);

test("prose filters: planted spam and boilerplate, each removed by the expected rule; clean prose kept", async () => {
  const step = createProseFilter({ type: "filter_prose", c4: { enabled: false } }, "filter_prose");
  const lines = Array.from({ length: 30 }, () => prose(rng, 2).slice(0, -1)).join("\n");
  const v = await verdicts(step, [
    doc("good", good),
    doc("short", "Too short to be a page."),
    doc("nonalpha", Array.from({ length: 80 }, (_, i) => `${i * 7919} $$ 12.5% ${i}`).join(" ") + " the and of to"),
    doc("hashtags", prose(rng, 80) + " " + Array.from({ length: 20 }, () => "#win #free").join(" ")),
    doc("bullets", Array.from({ length: 20 }, () => "• " + prose(rng, 6)).join("\n")),
    doc("ellipsis", Array.from({ length: 20 }, () => prose(rng, 30).slice(0, -1) + "...").join("\n")),
    doc("nostop", Array.from({ length: 60 }, () => "lorem ipsum dolor sit amet").join(" ").split(" ").map((w, i) => w + (i % 7 === 0 ? "." : "")).join(" ")),
    doc("duplines", Array.from({ length: 12 }, (_, i) => (i % 2 ? "Buy cheap pills online today at the best prices." : prose(rng, 12))).join("\n")),
    doc("spamgram", prose(rng, 40) + " " + Array.from({ length: 30 }, () => "click here").join(" ") + " " + prose(rng, 40)),
    doc("repeat", good + "\n\n" + good.split("\n\n")[0] + " " + good.split("\n\n")[0]),
    doc("list", prose(rng, 30) + "\n" + lines + "\n" + Array.from({ length: 30 }, () => prose(rng, 2).slice(0, -1)).join("\n")),
    doc("shortlines", Array.from({ length: 30 }, () => prose(rng, 2)).join("\n") + "\n" + prose(rng, 25) + "\n" + prose(rng, 25)),
    doc("longwords", Array.from({ length: 60 }, () => "internationalization_configuration_parameters").join(" ") + ". the and of to."),
  ]);
  assert.deepEqual(v, {
    good: "kept",
    short: "gopher_quality.min_words",
    nonalpha: "gopher_quality.min_alpha_words_ratio",
    hashtags: "gopher_quality.max_symbol_word_ratio",
    bullets: "gopher_quality.max_bullet_lines_ratio",
    ellipsis: "gopher_quality.max_ellipsis_lines_ratio",
    nostop: "gopher_quality.min_stop_words",
    duplines: "gopher_repetition.dup_line_frac",
    spamgram: "gopher_repetition.top_2gram",
    repeat: "gopher_repetition.dup_5gram",
    list: "fineweb.line_punct_ratio",
    shortlines: "fineweb.short_line_ratio",
    longwords: "gopher_quality.max_avg_word_length",
  });
});

test("prose filters: C4 drops lines (navigation, cookie banners, javascript) and removes lorem ipsum and code", async () => {
  const step = createProseFilter({ type: "filter_prose", gopher_quality: { enabled: false }, gopher_repetition: { enabled: false }, fineweb: { enabled: false } }, "c4");
  const page = [
    "Home | About | Contact", prose(rng, 15), "This site uses cookies to improve your experience.", prose(rng, 20),
    "Please enable JavaScript to view the comments.", prose(rng, 15), "Citation here.[1] And it goes on for a while.", prose(rng, 12),
  ].join("\n");
  const { kept, ctx } = await runStep(step, [doc("page", page), doc("lorem", "Lorem ipsum dolor sit amet. " + good), doc("code", good + " function f() { return 1; }"), doc("few", "One sentence only here. And two.")]);
  assert.equal(kept.length, 1);
  const lines = kept[0].text.split("\n");
  assert.equal(lines.length, 5);
  assert.ok(!/cookies|JavaScript|Home \|/.test(kept[0].text));
  assert.ok(kept[0].text.includes("Citation here. And it goes on for a while."), "citation markers are removed");
  assert.equal(ctx.counters["c4.lines_dropped"], 3);
  assert.deepEqual(ctx.removed.map((r) => r.reason), ["c4.lorem_ipsum", "c4.curly_bracket", "c4.min_sentences"]);
});

test("prose filters: every rule can be turned off (null), and thresholds are settable", async () => {
  const off = createProseFilter({ type: "filter_prose", c4: { enabled: false }, fineweb: { enabled: false }, gopher_repetition: { enabled: false },
    gopher_quality: { min_words: null, min_stop_words: null } }, "p");
  assert.equal((await verdicts(off, [doc("short", "Short pages sometimes still matter.")])).short, "kept");
  const strict = createProseFilter({ type: "filter_prose", c4: { enabled: false }, gopher_quality: { min_words: 1000 } }, "p");
  assert.equal((await verdicts(strict, [doc("good", good)])).good, "gopher_quality.min_words");
  assert.throws(() => createProseFilter({ type: "filter_prose", gopher_repetition: { top_ngrams: { two: 0.2 } } }, "p"), /top_ngrams: key "two"/);
});

test("code filters: generated, minified, data and configuration files, encoded blobs, long lines; real code kept", async () => {
  const step = createCodeFilter({ type: "filter_code" }, "filter_code");
  const fn = (i: number) => `export function add${i}(a: number, b: number): number {\n  // add two numbers\n  return a + b + ${i};\n}\n`;
  const code = Array.from({ length: 20 }, (_, i) => fn(i)).join("\n");
  const minified = "var a=function(){" + Array.from({ length: 400 }, (_, i) => `x${i}=${i}*2;`).join("") + "};\n";
  const v = await verdicts(step, [
    doc("src/add.ts", code, "code"),
    doc("gen.go", "// Code generated by protoc-gen-go. DO NOT EDIT.\n" + code, "code"),
    doc("app.js", minified + minified, "code"),
    doc("package.json", '{"name": "x", "version": "1.0.0"}\n', "code"),
    doc("blob.ts", "export const data = `\n" + Array.from({ length: 30 }, () => "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789abcdefghijklmnopqrstuvwxyz+/AB").join("\n") + "`;\n", "code"),
    doc("table.ts", Array.from({ length: 50 }, (_, i) => `  [${i}, ${i * 31}, ${i * 977}, ${i * 7}],`).join("\n"), "code"),
    doc("wide.ts", code + "const s = '" + "y ".repeat(700) + "';\n", "code"),
    doc("art.txt.ts", Array.from({ length: 30 }, () => "// ==========----------**********##########").join("\n"), "code"),
  ]);
  assert.deepEqual(v, {
    "src/add.ts": "kept",
    "gen.go": "code.autogenerated",
    "app.js": "code.minified",
    "package.json": "code.data_file",
    "blob.ts": "code.encoded_data",
    "table.ts": "code.numeric_data",
    "wide.ts": "code.max_line_length",
    "art.txt.ts": "code.min_alnum_fraction",
  });
});

test("math filters: math density, TeX balance, garbling, repetition", async () => {
  const step = createMathFilter({ type: "filter_math" }, "filter_math");
  const mathDoc = [
    "Let $f(x) = x^2 + 1$ and consider the integral below.", "We have \\int_0^1 f(x)\\,dx = \\frac{4}{3}.",
    "Therefore the mean value of $f$ on $[0, 1]$ is $4/3$.", prose(new Rng(3), 30), "Since 2 + 2 = 4, the claim follows.",
  ].join("\n");
  const v = await verdicts(step, [
    doc("ok", mathDoc, "math"),
    doc("nomath", proseDoc(new Rng(4), 3, 40), "math"),
    doc("braces", mathDoc + "\n\\frac{a}{b \\sqrt{c {{{ d", "math"),
    doc("dollars", mathDoc + "\nThe price is $5.", "math"),
    doc("garbled", mathDoc + "\ufffd\ufffd\ufffd", "math"),
    doc("short", "$x = 1$", "math"),
  ]);
  assert.deepEqual(v, { ok: "kept", nomath: "math.min_math_density", braces: "math.brace_imbalance", dollars: "math.odd_dollars", garbled: "math.garbled", short: "math.min_words" });
});
