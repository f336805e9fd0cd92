/**
 * HellaSwag as distributed (rowanz/hellaswag data/hellaswag_{train,val}.jsonl, and the Hugging Face copy with the
 * same fields): {ind, activity_label, ctx_a, ctx_b, ctx, endings[4], label, source_id, split, ...}.
 * Query: "<activity_label>: <ctx_a> <Ctx_b>"; choices: " <ending>", with the WikiHow markup ("[title]", "[step]")
 * removed. The test split has no labels and is refused.
 */
import type { MultipleChoiceTask } from "../types.js";
import { EvalDataError, idOf, int, readJsonl, str, strList } from "./records.js";

export function cleanHellaSwag(text: string): string {
  return text.trim().replace(/ \[title\]/g, ". ").replace(/\[[^\]]*\]/g, "").replace(/ {2,}/g, " ").trim();
}

export function loadHellaSwag(path: string, name = "hellaswag", fewshotPath?: string): MultipleChoiceTask {
  const read = (p: string) => readJsonl(p).map((r, i) => {
    if (r.value.label === undefined || r.value.label === "") {
      throw new EvalDataError(`${r.where}: no "label" (the HellaSwag test split is unlabeled; use the validation file)`);
    }
    const ctxB = str(r, "ctx_b");
    const context = cleanHellaSwag(`${str(r, "activity_label")}: ${str(r, "ctx_a")} ${ctxB.charAt(0).toUpperCase()}${ctxB.slice(1)}`);
    const choices = strList(r, "endings").map((e) => " " + cleanHellaSwag(e));
    const gold = int(r, "label");
    if (gold < 0 || gold >= choices.length) throw new EvalDataError(`${r.where}: label ${gold} is not an index of endings`);
    return { id: idOf(r, ["ind", "id"], String(i)), context, choices, gold };
  });
  return {
    kind: "multiple_choice", name, description: "HellaSwag: commonsense sentence completion (4 endings)", source: path,
    examples: read(path), ...(fewshotPath ? { fewshot: read(fewshotPath) } : {}),
  };
}
