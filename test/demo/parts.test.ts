/**
 * The pieces of the demo corpus: cutting text at natural boundaries, reading emails, the n-gram check used for
 * decontamination, the cap's choice, and the error for a missing package.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chunkText, LINES, PARAGRAPHS, SENTENCES, WORDS } from "../../src/demo/chunk.js";
import { decodeHeader, emailText } from "../../src/demo/email.js";
import { htmlToText } from "../../src/demo/html.js";
import { NgramSet, wordHashes, words } from "../../src/demo/ngrams.js";
import { DemoCorpusError, requirePackage } from "../../src/demo/packages.js";
import { selectUnderCap } from "../../src/demo/corpus.js";
import { dropSentences } from "../../src/demo/domains/speeches.js";
import { Rng } from "../../src/util/rng.js";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

test("chunks stay under the limit, are cut at the strongest boundary, and lose only separator whitespace", () => {
  const r = new Rng("chunk");
  const word = () => "abcdefghij".slice(0, 1 + r.int(9)) + (r.int(20) === 0 ? "é" : "");
  const sentence = () => Array.from({ length: 5 + r.int(15) }, word).join(" ") + ".";
  const para = () => Array.from({ length: 1 + r.int(6) }, sentence).join(" ");
  const text = Array.from({ length: 60 }, para).join("\n\n");
  for (const max of [200, 1000, 4096]) {
    const chunks = chunkText(text, max);
    assert.ok(chunks.length > 1);
    for (const c of chunks) assert.ok(bytes(c) <= max, `${bytes(c)} > ${max}`);
    assert.equal(chunks.join(" ").replace(/\s+/g, " "), text.replace(/\s+/g, " "), "nothing lost or reordered");
    // Paragraphs this short always fit: every cut is at a paragraph end.
    if (max === 4096) for (const c of chunks) assert.ok(text.includes(c) && /\.$/.test(c) && (text.startsWith(c) || text.includes("\n\n" + c)));
    // Balanced: no chunk far below the target except where a boundary forces it.
    const sizes = chunks.map(bytes);
    assert.ok(Math.min(...sizes) > max / 8, `tiny chunk among ${sizes.join(",")}`);
  }
  assert.deepEqual(chunkText("short text", 100), ["short text"]);
  assert.deepEqual(chunkText("  \n ", 100), []);
  // No boundary at all: cut at code points, never inside a surrogate pair or above the limit.
  const emoji = "😀".repeat(50);
  const cut = chunkText(emoji, 30, []);
  assert.equal(cut.join(""), emoji);
  for (const c of cut) assert.ok(bytes(c) <= 30 && !/[\ud800-\udbff]$/.test(c));
  // Sentence and word levels for one-line text.
  const line = "First one is here. Second one follows it. Third comes last.";
  // 59 bytes in two chunks: the sentence end nearest half of it (the first of two equally near ones).
  assert.deepEqual(chunkText(line, 45, [SENTENCES, WORDS]), ["First one is here.", "Second one follows it. Third comes last."]);
  assert.deepEqual(chunkText("a b c d e f g h i j k l m n o p", 16, [PARAGRAPHS, LINES, WORDS]).map(bytes).every((b) => b <= 16), true);
});

test("emails: headers dropped, subject decoded, MIME walked, text preferred to HTML, encodings decoded", () => {
  const plain = "From x@y Thu Aug 22 2002\nReceived: from a\n  by b\nFrom: Jo <jo@example.com>\nSubject: =?iso-8859-1?Q?Caf=E9?= =?utf-8?B?w6lsw6k=?=\n\nHello there.\n\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n";
  assert.deepEqual(emailText(Buffer.from(plain, "latin1")), { subject: "Caféélé", body: "Hello there." });
  const multipart = [
    "Subject: Offer", "Content-Type: multipart/alternative; boundary=\"XX\"", "", "preamble", "--XX",
    "Content-Type: text/html; charset=us-ascii", "", "<p>HTML version</p>", "--XX",
    "Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable", "",
    "Plain caf=E9 soft=", "break", "--XX--", "epilogue",
  ].join("\r\n");
  assert.deepEqual(emailText(Buffer.from(multipart, "latin1")), { subject: "Offer", body: "Plain café softbreak" });
  const mixed = [
    "Content-Type: multipart/mixed; boundary=B", "", "--B", "Content-Type: text/html", "Content-Transfer-Encoding: base64", "",
    Buffer.from("<html><head><title>t</title><style>p{}</style></head><body><p>One &amp; two</p><br>three<li>item</body></html>").toString("base64"),
    "--B", "Content-Type: application/octet-stream", "Content-Disposition: attachment; filename=x.bin", "", "AAAA", "--B--",
  ].join("\n");
  assert.deepEqual(emailText(Buffer.from(mixed)), { subject: "", body: "One & two\n\nthree\n- item" });
  assert.equal(emailText(Buffer.from("Content-Type: image/gif\n\nGIF89a")), null);
  const headerless = "Subject: s\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\n\nFirst paragraph.\n\nSecond.\n--Q--\n";
  assert.deepEqual(emailText(Buffer.from(headerless)), { subject: "s", body: "First paragraph.\n\nSecond." });
  assert.equal(decodeHeader("plain"), "plain");
  assert.equal(htmlToText("<div>a<!-- c --></div><script>x()</script>b&#233;&#x41;&nbsp;c"), "a\n\nbéA c");
});

test("n-grams find copied text however it is cased, punctuated or wrapped, and nothing else", () => {
  const held = "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.";
  const set = new NgramSet(13);
  set.add(held);
  assert.ok(set.size > 0);
  assert.ok(set.overlaps("Preface. IT IS A TRUTH universally\nacknowledged that a single man -- in possession of a good fortune!"));
  assert.ok(!set.overlaps("It is a truth widely acknowledged, that a single man in possession of a large fortune."));
  assert.ok(!set.overlaps("short"));
  const text = "First sentence here. Then: it is a truth universally acknowledged, that a single man in possession of a good fortune. Last one.";
  const m = set.matches(text);
  // 16 copied words: four overlapping 13-word windows.
  assert.equal(m.length, 4);
  assert.equal(text.slice(m[0].start, m[0].end), "it is a truth universally acknowledged, that a single man in possession of");
  assert.equal(text.slice(m[3].start, m[3].end), "truth universally acknowledged, that a single man in possession of a good fortune");
  assert.deepEqual(dropSentences(text, m), { text: "First sentence here. Last one.", dropped: 1 });
  assert.deepEqual(dropSentences(text, []), { text, dropped: 0 });
  // The hashing scanner splits words exactly as the reference splitter does.
  const mixed = "Ça va? NAÏVE café—2024, x_y 𝒳z";
  assert.equal(wordHashes(mixed).length, words(mixed).length);
  const w2 = new NgramSet(2);
  w2.add("ça va");
  assert.ok(w2.overlaps("ÇA VA!"));
});

test("the cap keeps a hash-ordered subset, in the original order, never over the cap", () => {
  const lines = Array.from({ length: 200 }, (_, i) => "x".repeat(10 + (i % 37)) + "\n");
  const ids = lines.map((_, i) => `d/${i}`);
  const keep = selectUnderCap(lines, ids, 1000, "s");
  const used = keep.reduce((s, i) => s + lines[i].length, 0);
  assert.ok(used <= 1000 && used > 950, `${used}`);
  assert.deepEqual(keep, [...keep].sort((a, b) => a - b));
  assert.ok(keep[keep.length - 1] - keep[0] > 100, "spread over the whole domain, not its first documents");
  assert.deepEqual(selectUnderCap(lines, ids, 1000, "s"), keep);
  assert.notDeepEqual(selectUnderCap(lines, ids, 1000, "t"), keep);
  assert.deepEqual(selectUnderCap(lines, ids, null, "s"), lines.map((_, i) => i));
});

test("a missing package names itself and says to run npm ci", () => {
  assert.throws(() => requirePackage("no-such-package-for-the-demo", "web"),
    (e: unknown) => e instanceof DemoCorpusError && e.message.includes("no-such-package-for-the-demo") && e.message.includes("npm ci") && e.message.includes("\"web\""));
});
