/**
 * code: the TypeScript library declarations (node_modules/typescript/lib/*.d.ts: the ECMAScript, DOM and
 * web-worker lib files plus the compiler API's typescript.d.ts), one file per document or, when longer, chunks
 * cut between top-level declarations. The identical Microsoft license banner at the top of every file is
 * removed (it would be one paragraph repeated a hundred times), and files that only reference other lib files
 * (lib.es2016.d.ts and the like) are skipped.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chunkText, LINES, type Level } from "../chunk.js";
import { packageInfo, requirePackage } from "../packages.js";
import { docs, type DomainBuilder } from "../types.js";
import type { Document } from "../../data/document.js";

const PKG = "typescript";

/** Blank lines followed by a line that starts at column 0: between top-level declarations. */
const DECLARATIONS: Level = /\n[ \t]*\n(?=\S)/g;
/** Any blank line (inside an interface between members). */
const BLANK_LINES: Level = /\n[ \t]*\n/g;

export function stripBanner(text: string): string {
  const m = /^\/\*![\s\S]*?\*\/\s*/.exec(text);
  return m && m[0].includes("Microsoft Corporation") ? text.slice(m[0].length) : text;
}

/** True when nothing but reference directives and comments is left. */
function onlyReferences(text: string): boolean {
  const body = text.replace(/\/\*[\s\S]*?\*\//g, "").split("\n")
    .filter((l) => l.trim() !== "" && !l.trim().startsWith("//"));
  return body.length === 0;
}

export const buildCode: DomainBuilder = (ctx) => {
  const dir = join(requirePackage(PKG, "code"), "lib");
  const files = readdirSync(dir).filter((f) => f.endsWith(".d.ts")).sort();
  const out: Document[] = [];
  let skipped = 0;
  for (const f of files) {
    const text = stripBanner(readFileSync(join(dir, f), "utf8").replace(/\r\n/g, "\n")).trimEnd();
    if (onlyReferences(text)) {
      skipped++;
      continue;
    }
    out.push(...docs("code", f, chunkText(text, ctx.maxDocumentBytes, [DECLARATIONS, BLANK_LINES, LINES]), `${PKG}/lib/${f}`));
  }
  return {
    documents: out, sourceItems: files.length - skipped, package: packageInfo(PKG, "code"),
    excluded: `nothing is held out (no proxy task uses this text); ${skipped} files that only reference other lib files skipped`,
  };
};
