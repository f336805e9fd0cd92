/**
 * Reading evaluation files: JSONL records with their line numbers, and typed field access whose errors name the
 * file, the line and the field, so a user with a slightly different file learns exactly what differs.
 */
import { readFileSync } from "node:fs";

export class EvalDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvalDataError";
  }
}

export interface JsonRecord {
  /** "file:line" */
  where: string;
  line: number;
  value: Record<string, unknown>;
}

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new EvalDataError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Every non-blank line of a JSONL file as an object. A JSON array file is accepted too. */
export function readJsonl(path: string): JsonRecord[] {
  const text = readText(path);
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (e) {
      throw new EvalDataError(`${path}: invalid JSON: ${(e as Error).message}`);
    }
    return (arr as unknown[]).map((v, i) => asRecord(v, `${path}[${i}]`, i + 1));
  }
  const out: JsonRecord[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new EvalDataError(`${path}:${i + 1}: invalid JSON: ${(e as Error).message}`);
    }
    out.push(asRecord(v, `${path}:${i + 1}`, i + 1));
  });
  if (out.length === 0) throw new EvalDataError(`${path}: no records`);
  return out;
}

function asRecord(v: unknown, where: string, line: number): JsonRecord {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new EvalDataError(`${where}: expected a JSON object`);
  return { where, line, value: v as Record<string, unknown> };
}

export function str(r: JsonRecord, field: string): string {
  const v = r.value[field];
  if (typeof v !== "string") throw new EvalDataError(`${r.where}: field "${field}" must be a string, got ${describe(v)}`);
  return v;
}

export function optStr(r: JsonRecord, field: string): string | undefined {
  const v = r.value[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new EvalDataError(`${r.where}: field "${field}" must be a string, got ${describe(v)}`);
  return v;
}

export function strList(r: JsonRecord, field: string): string[] {
  const v = r.value[field];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new EvalDataError(`${r.where}: field "${field}" must be a list of strings, got ${describe(v)}`);
  }
  return v as string[];
}

/** An integer given as a number or a numeric string ("2"). */
export function int(r: JsonRecord, field: string): number {
  const v = r.value[field];
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new EvalDataError(`${r.where}: field "${field}" must be an integer, got ${describe(v)}`);
  }
  return n;
}

export function idOf(r: JsonRecord, fields: string[], fallback: string): string {
  for (const f of fields) {
    const v = r.value[f];
    if (typeof v === "string" || typeof v === "number") return String(v);
  }
  return fallback;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing (the field is missing)";
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + "..." : s;
}
