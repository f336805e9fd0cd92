/**
 * The toolkit's own JSONL task format, one record per example, for any kind (what `pretrain eval build-proxies`
 * writes, and what a user writes for a task of their own). The kind is the records' "kind" field, or inferred
 * from the fields of the first record:
 *   multiple_choice  {id?, context, choices: [..], gold}               (choices with their leading space)
 *   loglikelihood    {id?, context, continuation}
 *   cloze            {id?, context, target} or {id?, text}            (text: the last word is the target)
 *   generate         {id?, prompt, answer, solution?}                   (+ task-level: see loadNative options)
 *   code             {task_id, prompt, canonical_solution, test, entry_point, language?}   (HumanEval-shaped)
 *   perplexity       {id?, text, domain?}
 */
import type {
  ClozeExample, GenerateExample, LoglikelihoodExample, MultipleChoiceExample, PerplexityExample, Task, TaskKind,
} from "../types.js";
import { TASK_KINDS } from "../types.js";
import { guessNormalization } from "../extract.js";
import { EvalDataError, idOf, int, optStr, readJsonl, str, strList, type JsonRecord } from "./records.js";
import { splitLastWord } from "./lambada.js";
import { readHumanEval, JS_STOP, PYTHON_STOP } from "./humaneval.js";

export function inferKind(r: JsonRecord): TaskKind {
  const k = r.value.kind;
  if (typeof k === "string") {
    if (!(TASK_KINDS as readonly string[]).includes(k)) {
      throw new EvalDataError(`${r.where}: unknown kind "${k}" (known: ${TASK_KINDS.filter((x) => x !== "retrieval").join(", ")})`);
    }
    return k as TaskKind;
  }
  const has = (f: string) => r.value[f] !== undefined;
  if (has("choices")) return "multiple_choice";
  if (has("continuation")) return "loglikelihood";
  if (has("entry_point")) return "code";
  if (has("prompt") && has("answer")) return "generate";
  if (has("domain")) return "perplexity";
  if (has("target") || has("text")) return "cloze";
  throw new EvalDataError(`${r.where}: cannot tell the task kind from the fields (${Object.keys(r.value).join(", ")}); add "kind"`);
}

export interface NativeOptions {
  name: string;
  fewshotPath?: string;
  description?: string;
  proxyOf?: string;
  /** generate: stop strings (default a blank line) and maximum new tokens (default 128) */
  stop?: string[];
  maxTokens?: number;
}

function mc(r: JsonRecord, i: number): MultipleChoiceExample {
  const choices = strList(r, "choices");
  const gold = int(r, r.value.gold !== undefined ? "gold" : "label");
  if (gold < 0 || gold >= choices.length) throw new EvalDataError(`${r.where}: gold ${gold} is not an index of choices`);
  return { id: idOf(r, ["id"], String(i)), context: str(r, "context"), choices, gold };
}

function cloze(r: JsonRecord, i: number): ClozeExample {
  const id = idOf(r, ["id"], String(i));
  if (r.value.target !== undefined) return { id, context: str(r, "context"), target: str(r, "target") };
  return { id, ...splitLastWord(str(r, "text"), r.where) };
}

function loglik(r: JsonRecord, i: number): LoglikelihoodExample {
  return { id: idOf(r, ["id"], String(i)), context: str(r, "context"), continuation: str(r, "continuation") };
}

function gen(r: JsonRecord, i: number): GenerateExample {
  const solution = optStr(r, "solution");
  return { id: idOf(r, ["id"], String(i)), prompt: str(r, "prompt"), answer: str(r, "answer"), ...(solution !== undefined ? { solution } : {}) };
}

function ppl(r: JsonRecord, i: number): PerplexityExample {
  return { id: idOf(r, ["id"], String(i)), text: str(r, "text"), domain: optStr(r, "domain") ?? "default" };
}

export function loadNative(path: string, o: NativeOptions): Task {
  const records = readJsonl(path);
  const kind = inferKind(records[0]);
  const base = { name: o.name, source: path, description: o.description ?? `${kind} task from ${path}`, ...(o.proxyOf ? { proxyOf: o.proxyOf } : {}) };
  const few = o.fewshotPath ? readJsonl(o.fewshotPath) : null;
  switch (kind) {
    case "multiple_choice":
      return { ...base, kind, examples: records.map(mc), ...(few ? { fewshot: few.map(mc) } : {}) };
    case "cloze":
      return { ...base, kind, examples: records.map(cloze), ...(few ? { fewshot: few.map(cloze) } : {}) };
    case "loglikelihood":
      return { ...base, kind, examples: records.map(loglik), ...(few ? { fewshot: few.map(loglik) } : {}) };
    case "generate": {
      const examples = records.map(gen);
      const numeric = guessNormalization(examples.map((e) => e.answer)) === "number";
      return {
        ...base, kind, examples, ...(few ? { fewshot: few.map(gen) } : {}), stop: o.stop ?? ["\n\n"], maxTokens: o.maxTokens ?? 128,
        extract: numeric ? { type: "regex", pattern: "####\\s*(-?[0-9.,]+)", group: 1, fallback: "last-number" }
          : { type: "function", name: "first-line", fn: (t: string) => t.trim().split("\n")[0] ?? null },
      };
    }
    case "code": {
      const examples = readHumanEval(path);
      const js = examples.every((e) => e.language === "javascript");
      return { ...base, kind, examples, stop: o.stop ?? (js ? JS_STOP : PYTHON_STOP), maxTokens: o.maxTokens ?? 384 };
    }
    case "perplexity":
      return { ...base, kind, examples: records.map(ppl) };
    case "retrieval":
      throw new EvalDataError(`${path}: retrieval tasks are built by the harness (proxy-needle), not read from files`);
  }
}
