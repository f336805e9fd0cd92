/**
 * ARC (AI2 Reasoning Challenge), in either published JSONL form:
 *   AI2's ARC-V1 files (ARC-Challenge-Test.jsonl): {id, question: {stem, choices: [{text, label}]}, answerKey}
 *   the Hugging Face allenai/ai2_arc rows:         {id, question, choices: {text: [], label: []}, answerKey}
 * Labels may be letters or digits ("1".."4" in a few questions); answerKey names one of them.
 * Query: "Question: <stem>\nAnswer:"; choices " <text>" (the lm-evaluation-harness formulation).
 */
import type { MultipleChoiceTask } from "../types.js";
import { EvalDataError, idOf, readJsonl, str, type JsonRecord } from "./records.js";

function parse(r: JsonRecord, i: number) {
  const q = r.value.question;
  let stem: string;
  let texts: string[];
  let labels: string[];
  if (q !== null && typeof q === "object") {
    const qq = q as { stem?: unknown; choices?: unknown };
    if (typeof qq.stem !== "string" || !Array.isArray(qq.choices)) {
      throw new EvalDataError(`${r.where}: "question" must have a "stem" string and a "choices" list`);
    }
    stem = qq.stem;
    const cs = qq.choices as { text?: unknown; label?: unknown }[];
    texts = cs.map((c) => String(c.text));
    labels = cs.map((c) => String(c.label));
  } else {
    stem = str(r, "question");
    const c = r.value.choices as { text?: unknown; label?: unknown } | undefined;
    if (!c || !Array.isArray(c.text) || !Array.isArray(c.label)) {
      throw new EvalDataError(`${r.where}: "choices" must be {text: [...], label: [...]}`);
    }
    texts = c.text.map(String);
    labels = c.label.map(String);
  }
  const key = str(r, "answerKey").trim();
  const gold = labels.indexOf(key);
  if (gold < 0) throw new EvalDataError(`${r.where}: answerKey "${key}" is not among the labels ${labels.join(", ")}`);
  return { id: idOf(r, ["id"], String(i)), context: `Question: ${stem}\nAnswer:`, choices: texts.map((t) => " " + t), gold };
}

export function loadArc(path: string, name = "arc", fewshotPath?: string): MultipleChoiceTask {
  return {
    kind: "multiple_choice", name, description: "ARC: grade-school science questions", source: path,
    examples: readJsonl(path).map(parse), ...(fewshotPath ? { fewshot: readJsonl(fewshotPath).map(parse) } : {}),
  };
}
