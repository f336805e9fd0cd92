/**
 * proxy-js-code (HumanEval-like; not HumanEval): JavaScript function completion with executable tests, from
 * evalsets/js-functions.jsonl (problems written for this project; HumanEval's fields with "language":
 * "javascript"). Programs run with Node in the sandbox; pass@k as HumanEval reports it.
 */
import { join } from "node:path";
import type { CodeTask } from "../types.js";
import { loadHumanEval } from "../loaders/humaneval.js";
import { projectRoot } from "./sources.js";

export function jsFunctionsPath(): string {
  return join(projectRoot(), "evalsets", "js-functions.jsonl");
}

export function buildJsCode(path = jsFunctionsPath()): CodeTask {
  const t = loadHumanEval(path, "proxy-js-code");
  return {
    ...t, proxyOf: "HumanEval",
    description: "JavaScript function completion with executable tests (HumanEval-like proxy)",
    source: "evalsets/js-functions.jsonl",
  };
}
