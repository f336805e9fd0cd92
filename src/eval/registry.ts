/**
 * Task specifications as users write them (`--tasks`), resolved to task definitions:
 *   proxies                         every offline proxy task
 *   proxy-cloze-book, proxy-arith…  one proxy task (built in memory, or read from --proxy-dir)
 *   <format>:<path>[@<fewshot>]     a published benchmark file; format is hellaswag, arc, mmlu, lambada, gsm8k,
 *                                   humaneval, mbpp, or native (the toolkit's JSONL format)
 *   <name>=<format>:<path>          the same under a name of your choice (arc_easy=arc:ARC-Easy-Test.jsonl)
 *   <file>.jsonl                    a task in the toolkit's JSONL format, named after the file
 *   <file>.json                     a list of tasks: {"tasks": [{"name", "format", "path", "fewshot"?}]}
 * Several specifications may be given comma-separated or by repeating --tasks.
 */
import { basename, dirname, isAbsolute, resolve } from "node:path";
import type { Task } from "./types.js";
import { loadArc } from "./loaders/arc.js";
import { loadGsm8k } from "./loaders/gsm8k.js";
import { loadHellaSwag } from "./loaders/hellaswag.js";
import { loadHumanEval } from "./loaders/humaneval.js";
import { loadLambada } from "./loaders/lambada.js";
import { loadMbpp } from "./loaders/mbpp.js";
import { loadMmlu } from "./loaders/mmlu.js";
import { loadNative } from "./loaders/native.js";
import { loadProxyDir } from "./loaders/proxy-dir.js";
import { EvalDataError, readText } from "./loaders/records.js";
import { buildProxies, isProxyName, PROXY_NAMES, type ProxyName, type ProxyOptions } from "./proxies/index.js";

export const FORMATS = ["hellaswag", "arc", "mmlu", "lambada", "gsm8k", "humaneval", "mbpp", "native"] as const;
export type Format = (typeof FORMATS)[number];

export interface ResolveOptions {
  /** read proxies from a folder written by build-proxies instead of building them */
  proxyDir?: string;
  proxy?: ProxyOptions;
}

export function loadFormat(format: string, path: string, name: string, fewshot?: string): Task {
  switch (format as Format) {
    case "hellaswag":
      return loadHellaSwag(path, name, fewshot);
    case "arc":
      return loadArc(path, name, fewshot);
    case "mmlu":
      return loadMmlu(path, name, fewshot);
    case "lambada":
      return loadLambada(path, name);
    case "gsm8k":
      return loadGsm8k(path, name, fewshot);
    case "humaneval":
      return loadHumanEval(path, name);
    case "mbpp":
      return loadMbpp(path, name);
    case "native":
      return loadNative(path, { name, ...(fewshot ? { fewshotPath: fewshot } : {}) });
    default:
      throw new EvalDataError(`unknown task format "${format}" (known: ${FORMATS.join(", ")})`);
  }
}

function splitSpecs(specs: readonly string[]): string[] {
  return specs.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
}

export function resolveTasks(specs: readonly string[], o: ResolveOptions = {}): Task[] {
  const proxies: ProxyName[] = [];
  const out: (Task | ProxyName)[] = [];
  for (const spec of splitSpecs(specs)) {
    if (spec === "proxies") {
      for (const p of PROXY_NAMES) if (!proxies.includes(p)) {
        proxies.push(p);
        out.push(p);
      }
      continue;
    }
    if (isProxyName(spec)) {
      if (!proxies.includes(spec)) {
        proxies.push(spec);
        out.push(spec);
      }
      continue;
    }
    const m = /^(?:([A-Za-z0-9_.-]+)=)?([a-z0-9]+):(.+)$/.exec(spec);
    if (m && (FORMATS as readonly string[]).includes(m[2])) {
      const [path, fewshot] = m[3].split("@");
      out.push(loadFormat(m[2], path, m[1] ?? m[2], fewshot));
      continue;
    }
    if (spec.endsWith(".jsonl")) {
      out.push(loadNative(spec, { name: basename(spec, ".jsonl") }));
      continue;
    }
    if (spec.endsWith(".json")) {
      out.push(...loadTaskList(spec));
      continue;
    }
    throw new EvalDataError(`unknown task "${spec}": give a proxy (${PROXY_NAMES.join(", ")}, or proxies), ` +
      `<format>:<path> with a format among ${FORMATS.join(", ")}, a .jsonl task file or a .json task list`);
  }
  const built = new Map<string, Task>();
  if (proxies.length) {
    const tasks = o.proxyDir ? loadProxyDir(o.proxyDir, proxies) : buildProxies(proxies, o.proxy);
    tasks.forEach((t) => built.set(t.name, t));
  }
  const tasks = out.map((t) => (typeof t === "string" ? built.get(t)! : t));
  const names = new Set<string>();
  for (const t of tasks) {
    if (names.has(t.name)) throw new EvalDataError(`two tasks are named "${t.name}"; name one with <name>=<format>:<path>`);
    names.add(t.name);
  }
  return tasks;
}

function loadTaskList(path: string): Task[] {
  let json: { tasks?: { name?: string; format?: string; path?: string; fewshot?: string }[] };
  try {
    json = JSON.parse(readText(path));
  } catch (e) {
    throw new EvalDataError(`${path}: invalid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(json.tasks)) throw new EvalDataError(`${path}: expected {"tasks": [...]}`);
  const base = dirname(path);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return json.tasks.map((t, i) => {
    if (!t.format || !t.path) throw new EvalDataError(`${path}: tasks[${i}] needs "format" and "path"`);
    return loadFormat(t.format, abs(t.path), t.name ?? t.format, t.fewshot ? abs(t.fewshot) : undefined);
  });
}
