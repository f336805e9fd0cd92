/** Reading back a folder written by `pretrain eval build-proxies` (manifest.json + one file per task). */
import { join } from "node:path";
import type { RetrievalSpec, Task } from "../types.js";
import { loadNative } from "./native.js";
import { EvalDataError, readText } from "./records.js";

interface ManifestEntry {
  kind: string;
  file: string;
  fewshot_file?: string;
  proxy_of: string | null;
  description: string;
  source: string;
  default_shots: number;
  stop?: string[];
  max_tokens?: number;
}

export function loadProxyDir(dir: string, names: readonly string[]): Task[] {
  let manifest: { format?: string; tasks?: Record<string, ManifestEntry> };
  try {
    manifest = JSON.parse(readText(join(dir, "manifest.json")));
  } catch (e) {
    throw new EvalDataError(`${dir}: not a proxy folder (${(e as Error).message}); build one with \`pretrain eval build-proxies --out ${dir}\``);
  }
  if (manifest.format !== "pretrain-eval-proxies" || !manifest.tasks) throw new EvalDataError(`${dir}/manifest.json: not a proxy manifest`);
  return names.map((name): Task => {
    const e = manifest.tasks![name];
    if (!e) throw new EvalDataError(`${dir}: the manifest has no task ${name}`);
    const base = { name, description: e.description, source: `${join(dir, e.file)} (${e.source})`, ...(e.proxy_of ? { proxyOf: e.proxy_of } : {}), defaultShots: e.default_shots };
    if (e.kind === "retrieval") {
      return { ...base, kind: "retrieval", spec: JSON.parse(readText(join(dir, e.file))) as RetrievalSpec };
    }
    const t = loadNative(join(dir, e.file), {
      name, ...(e.fewshot_file ? { fewshotPath: join(dir, e.fewshot_file) } : {}), ...(e.stop ? { stop: e.stop } : {}),
      ...(e.max_tokens ? { maxTokens: e.max_tokens } : {}),
    });
    return { ...t, ...base } as Task;
  });
}
