/**
 * The output folder of `pretrain data tokenize`. An existing non-empty folder is refused, so a run never mixes
 * its shards with older ones; `--force` replaces a previous tokenize output (finished or not), but only when
 * every file in it is one this command writes — it never deletes anything else.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../util/schema.js";

const OWN_TOP_FILES = new Set(["index.json", "tokenize-stats.json", "rejected.jsonl"]);
/** what withAtomicFile leaves behind when a process dies mid-write */
const TEMP_FILE = /^\..+\.tmp-\d+-[0-9a-f]+$/;
const SHARD_FILE = /^(train|valid)-\d{5,}\.tok$/;

/** Files under `dir` that `pretrain data tokenize` did not write (relative paths, at most `max`). */
function foreignFiles(dir: string, max: number): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      if (out.length >= max) return;
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = statSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(p, r);
      else if (!(TEMP_FILE.test(name) || (rel === "" ? OWN_TOP_FILES.has(name) : SHARD_FILE.test(name)))) out.push(r);
    }
  };
  walk(dir, "");
  return out;
}

/** Makes sure `out` is an empty folder (creating it, or emptying a previous output with `force`). */
export function prepareOutDir(out: string, force: boolean): void {
  const st = statSync(out, { throwIfNoEntry: false });
  if (!st) {
    mkdirSync(out, { recursive: true });
    return;
  }
  if (!st.isDirectory()) throw new ConfigError(`the output ${out} exists and is not a folder; choose another --out`);
  const entries = readdirSync(out).sort();
  if (entries.length === 0) return;
  if (!force) {
    const shownEntries = entries.slice(0, 4).join(", ") + (entries.length > 4 ? ", …" : "");
    throw new ConfigError(`the output folder ${out} is not empty (${shownEntries}); choose another --out, ` +
      "or give --force to replace a previous `pretrain data tokenize` output there");
  }
  const foreign = foreignFiles(out, 3);
  if (foreign.length > 0) {
    throw new ConfigError(`--force: ${out} holds files that \`pretrain data tokenize\` did not write (${foreign.join(", ")}); ` +
      "refusing to delete them — remove them yourself or choose another --out");
  }
  // The index goes first: if removal stops part-way, what is left is never taken for a complete corpus.
  if (entries.includes("index.json")) rmSync(join(out, "index.json"), { force: true });
  for (const name of entries) rmSync(join(out, name), { recursive: true, force: true });
}
