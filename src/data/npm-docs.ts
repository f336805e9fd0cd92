/**
 * The text the demo and the ablation ladder train on when no corpus is given: npm's own markdown documentation
 * (about 0.6 MB of English prose shipped with every npm), and the walk that lists text files under a folder.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

/** Text files (.md, .txt, .rst, non-empty) under `path` in sorted order, or `path` itself when it is a file. */
export function textFiles(path: string, out: string[] = []): string[] {
  const st = statSync(path);
  if (st.isFile()) {
    out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    const p = join(path, name);
    const s = statSync(p);
    if (s.isDirectory()) textFiles(p, out);
    else if (/\.(md|txt|rst)$/i.test(name) && s.size > 0) out.push(p);
  }
  return out;
}

/** npm's markdown documentation, found next to the npm this Node uses. */
export function npmDocs(): string[] {
  const r = spawnSync("npm", ["root", "-g"], { encoding: "utf8" });
  const root = r.status === 0 ? r.stdout.trim() : "";
  const candidates = [join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "docs", "content")];
  if (root) candidates.unshift(join(root, "npm", "docs", "content"));
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    const files = textFiles(c);
    if (files.length) return files;
  }
  throw new Error("could not find npm's documentation to train on; give text files with --corpus <path>");
}
