/**
 * HumanEval as distributed (openai/human-eval data/HumanEval.jsonl(.gz, unpacked)): {task_id, prompt,
 * canonical_solution, test, entry_point}, the test defining check(candidate). Completions are generated after
 * the prompt and cut at the first line that starts a new top-level block, as the original evaluation does.
 * Our JavaScript problems use the same fields with "language": "javascript".
 */
import type { CodeExample, CodeTask } from "../types.js";
import { EvalDataError, idOf, optStr, readJsonl, str } from "./records.js";

export const PYTHON_STOP = ["\nclass", "\ndef", "\n#", "\nif", "\nprint"];
export const JS_STOP = ["\nfunction ", "\nclass ", "\nconst ", "\nlet ", "\nvar ", "\n//", "\nconsole.", "\nmodule.", "\nexport "];

export function readHumanEval(path: string): CodeExample[] {
  return readJsonl(path).map((r, i) => {
    const lang = (optStr(r, "language") ?? "python").toLowerCase();
    if (lang !== "python" && lang !== "javascript" && lang !== "js") {
      throw new EvalDataError(`${r.where}: language "${lang}" is not supported (python, javascript)`);
    }
    const js = lang !== "python";
    return {
      id: idOf(r, ["task_id"], String(i)), language: js ? "javascript" : "python", style: js ? "js" : "humaneval",
      prompt: str(r, "prompt"), canonical: str(r, "canonical_solution"), test: str(r, "test"),
      entryPoint: str(r, "entry_point"),
    } satisfies CodeExample;
  });
}

export function loadHumanEval(path: string, name = "humaneval"): CodeTask {
  const examples = readHumanEval(path);
  const js = examples.length > 0 && examples.every((e) => e.language === "javascript");
  return {
    kind: "code", name, description: js ? "JavaScript function completion with executable tests" :
      "HumanEval: Python function completion with executable tests", source: path, examples,
    stop: js ? JS_STOP : PYTHON_STOP, maxTokens: 384,
  };
}
