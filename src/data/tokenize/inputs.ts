/**
 * The inputs of `pretrain data tokenize`: `--in <domain>=<path>` specs grouped by domain, the files each path
 * holds, and reading them through the data pipeline's readers. Nothing found inside an input stops the run: an
 * unreadable folder or file becomes a rejected record like a malformed line does.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import type { ReadItem, RejectedRecord } from "../document.js";
import { formatOf, readInputFile, type InputConfig, type InputFile } from "../readers/index.js";
import { checkDomainName } from "../tokens/shard-set.js";
import { ConfigError } from "../../util/schema.js";

/** A mistake in an --in spec; the command line turns it into a usage error. */
export class InputSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputSpecError";
  }
}

export interface DomainInput {
  domain: string;
  /** the paths as given, in the order given */
  paths: string[];
}

/** Names the output folder uses itself; a domain folder must not take them. */
const RESERVED = new Set(["index.json", "tokenize-stats.json", "rejected.jsonl"]);

/** Parses `<domain>=<path>` specs; repeated domains collect their paths, domains keep their first-seen order. */
export function parseInSpecs(specs: readonly string[]): DomainInput[] {
  const byDomain = new Map<string, DomainInput>();
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq < 0) throw new InputSpecError(`--in "${spec}" is not <domain>=<path> (e.g. --in web=data/web.jsonl)`);
    const domain = spec.slice(0, eq);
    const path = spec.slice(eq + 1);
    if (domain === "") throw new InputSpecError(`--in "${spec}" has no domain before "=" (e.g. --in web=${path || "data/web.jsonl"})`);
    if (path === "") throw new InputSpecError(`--in "${spec}" has no path after "="`);
    try {
      checkDomainName(domain);
    } catch (e) {
      throw new InputSpecError(`--in "${spec}": domain ${(e as Error).message}`);
    }
    if (RESERVED.has(domain.split("/")[0])) {
      throw new InputSpecError(`--in "${spec}": the domain name "${domain}" is taken by a file of the output folder; choose another`);
    }
    const d = byDomain.get(domain) ?? { domain, paths: [] };
    d.paths.push(path);
    byDomain.set(domain, d);
  }
  return [...byDomain.values()];
}

/** How the readers are set up for tokenizing: only the text is needed (no id or metadata fields are kept). */
export function readerConfig(textField: string, domain: string): InputConfig {
  return {
    paths: [], format: "auto", text_field: textField, id_field: null, domain, domain_field: null, meta_fields: [],
    text_extensions: [".txt", ".md"], max_line_bytes: 64 << 20, max_file_bytes: 64 << 20, parquet_batch_rows: 10_000,
  };
}

export interface ListedFiles {
  files: InputFile[];
  /** folders and files that could not even be listed */
  rejected: RejectedRecord[];
}

/** A path as shown in records and messages: relative to the working folder when inside it. */
function shown(abs: string, cwd: string): string {
  const r = relative(cwd, abs);
  return (r === "" || r.startsWith("..") ? abs : r).split(sep).join("/");
}

/**
 * The files under one input path: a file as it is (read as text when its name says nothing else), a folder
 * walked recursively in sorted order, hidden entries skipped, unknown extensions ignored as the cleaning
 * pipeline does. A path that does not exist is an error (a typo on the command line, found before any work).
 */
export function listFiles(path: string, cfg: InputConfig, cwd = process.cwd()): ListedFiles {
  const abs = resolve(cwd, path);
  const top = statSync(abs, { throwIfNoEntry: false });
  if (!top) throw new ConfigError(`input path "${path}" does not exist (resolved to ${abs})`);
  const files: InputFile[] = [];
  const rejected: RejectedRecord[] = [];
  const unreadable = (p: string, e: unknown) => rejected.push({
    file: shown(p, cwd), line: null, reason: "unreadable file", detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message,
  });
  const add = (p: string, explicit: boolean, bytes: number) => {
    const format = formatOf(p, cfg) ?? (explicit ? "text" : null);
    if (format !== null) files.push({ path: p, rel: shown(p, cwd), format, bytes });
  };
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      unreadable(dir, e);
      return;
    }
    for (const name of names) {
      if (name.startsWith(".")) continue;
      const p = join(dir, name);
      let st;
      try {
        st = statSync(p);
      } catch (e) {
        unreadable(p, e); // a dangling link, or a file removed while listing
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) add(p, false, st.size);
    }
  };
  if (top.isDirectory()) walk(abs);
  else add(abs, true, top.size);
  return { files, rejected };
}

/**
 * The documents and rejected records of one file. The readers report bad records themselves; what they throw
 * (a file that cannot be opened or fails part-way) becomes one more rejected record instead of ending the run.
 */
export async function* readFileSafely(file: InputFile, cfg: InputConfig): AsyncGenerator<ReadItem> {
  let records = 0;
  try {
    for await (const item of readInputFile(file, cfg)) {
      records++;
      yield item;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const detail = `${code ? `${code}: ` : ""}${(e as Error).message}` + (records ? ` (after ${records} records)` : "");
    yield { rejected: { file: file.rel, line: null, reason: "unreadable file", detail }, bytes: 0 };
  }
}
