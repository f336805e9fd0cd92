/**
 * MMLU in its published forms:
 *   the original CSV files (data/{dev,val,test}/<subject>_<split>.csv, no header: question, A, B, C, D, answer
 *   letter), given as one file or a folder of them; the subject comes from the file name;
 *   the Hugging Face cais/mmlu rows as JSONL: {question, subject, choices: [4], answer: 0-3 (or a letter)}.
 * Prompt (Hendrycks et al.): "The following are multiple choice questions (with answers) about <subject>.\n\n"
 * then "<question>\nA. ..\nB. ..\nC. ..\nD. ..\nAnswer:", scored over the choices " A" … " D". Few-shot examples
 * come from the same subject (give the dev folder as the few-shot source, as the original does with 5 shots).
 */
import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { MultipleChoiceExample, MultipleChoiceTask } from "../types.js";
import { parseCsv } from "./csv.js";
import { EvalDataError, idOf, readJsonl, readText, str, strList } from "./records.js";

const LETTERS = ["A", "B", "C", "D", "E", "F", "G", "H"];

function example(id: string, subject: string, question: string, options: string[], gold: number): MultipleChoiceExample {
  const subj = subject.replace(/_/g, " ");
  const body = `${question.trim()}\n${options.map((o, i) => `${LETTERS[i]}. ${o}`).join("\n")}\nAnswer:`;
  return {
    id, context: body, choices: options.map((_, i) => " " + LETTERS[i]), gold, group: subject,
    preamble: `The following are multiple choice questions (with answers) about ${subj}.\n\n`,
  };
}

function fromCsv(path: string): MultipleChoiceExample[] {
  const stem = basename(path).replace(/\.csv$/i, "");
  const subject = stem.replace(/_(dev|val|test|auxiliary_train)$/i, "");
  return parseCsv(readText(path)).map((row, i) => {
    if (row.length < 6) throw new EvalDataError(`${path}: row ${i + 1} has ${row.length} fields; expected question, A, B, C, D, answer`);
    const options = row.slice(1, row.length - 1);
    const gold = LETTERS.indexOf(row[row.length - 1].trim().toUpperCase());
    if (gold < 0 || gold >= options.length) throw new EvalDataError(`${path}: row ${i + 1}: answer "${row[row.length - 1]}" is not a choice letter`);
    return example(`${stem}/${i}`, subject, row[0], options, gold);
  });
}

function fromJsonl(path: string): MultipleChoiceExample[] {
  return readJsonl(path).map((r, i) => {
    const options = strList(r, "choices");
    const a = r.value.answer;
    const gold = typeof a === "number" ? a : typeof a === "string" && /^\d+$/.test(a) ? Number(a) : LETTERS.indexOf(String(a).trim().toUpperCase());
    if (!Number.isInteger(gold) || gold < 0 || gold >= options.length) {
      throw new EvalDataError(`${r.where}: "answer" must be a choice index or letter, got ${JSON.stringify(a)}`);
    }
    const subject = typeof r.value.subject === "string" ? r.value.subject : "miscellaneous";
    return example(idOf(r, ["id"], `${subject}/${i}`), subject, str(r, "question"), options, gold);
  });
}

export function readMmlu(path: string): MultipleChoiceExample[] {
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((f) => f.toLowerCase().endsWith(".csv")).sort();
    if (files.length === 0) throw new EvalDataError(`${path}: no .csv files`);
    return files.flatMap((f) => fromCsv(join(path, f)));
  }
  return path.toLowerCase().endsWith(".csv") ? fromCsv(path) : fromJsonl(path);
}

export function loadMmlu(path: string, name = "mmlu", fewshotPath?: string): MultipleChoiceTask {
  return {
    kind: "multiple_choice", name, description: "MMLU: multitask knowledge questions (4 options, letters scored)",
    source: path, examples: readMmlu(path), separator: "\n\n", ...(fewshotPath ? { fewshot: readMmlu(fewshotPath) } : {}),
  };
}
