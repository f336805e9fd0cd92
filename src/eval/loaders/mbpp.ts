/**
 * MBPP as distributed (google-research mbpp.jsonl, and the "sanitized" JSON): {task_id, text (or prompt), code,
 * test_list, test_setup_code (or test_imports), challenge_test_list}. Prompt in the MBPP paper's form:
 *   "You are an expert Python programmer, and here is your task: <text> Your code should pass these tests:\n\n
 *    <tests>\n[BEGIN]\n"
 * generation stops at "[DONE]"; the program is the setup code, the completion and the asserts.
 */
import type { CodeExample, CodeTask } from "../types.js";
import { EvalDataError, idOf, readJsonl, strList, type JsonRecord } from "./records.js";

function text(r: JsonRecord): string {
  const t = r.value.text ?? r.value.prompt;
  if (typeof t !== "string") throw new EvalDataError(`${r.where}: needs "text" (or "prompt") with the task description`);
  return t;
}

export function readMbpp(path: string): CodeExample[] {
  return readJsonl(path).map((r, i) => {
    const tests = strList(r, "test_list");
    const setupField = r.value.test_setup_code;
    const imports = Array.isArray(r.value.test_imports) ? (r.value.test_imports as unknown[]).map(String).join("\n") : "";
    const setup = typeof setupField === "string" && setupField.trim() ? setupField : imports;
    const code = r.value.code;
    if (typeof code !== "string") throw new EvalDataError(`${r.where}: field "code" must be a string`);
    return {
      id: idOf(r, ["task_id"], String(i)), language: "python", style: "mbpp",
      prompt: `You are an expert Python programmer, and here is your task: ${text(r)} Your code should pass these tests:\n\n${tests.join("\n")}\n[BEGIN]\n`,
      canonical: code, test: tests.join("\n"), entryPoint: "", setup,
    } satisfies CodeExample;
  });
}

export function loadMbpp(path: string, name = "mbpp"): CodeTask {
  return {
    kind: "code", name, description: "MBPP: basic Python programming problems with asserts", source: path,
    examples: readMbpp(path), stop: ["[DONE]", "\n[BEGIN]"], maxTokens: 384,
  };
}
