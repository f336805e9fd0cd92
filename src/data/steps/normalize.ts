/**
 * Text normalization: Unicode normalization form, newline and space cleanup, control and invisible
 * characters. Every option can be turned off; documents left empty are removed ("normalize.empty").
 */
import type { Document } from "../document.js";
import type { StepContext, TransformStep } from "../pipeline/step.js";
import { validate, type Schema } from "../../util/schema.js";
import { COMMON_FIELDS, flag, type CommonOptions } from "./common.js";

export interface NormalizeOptions extends CommonOptions {
  form: "NFC" | "NFKC" | "NFD" | "NFKD" | "none";
  newlines: boolean;
  remove_control: boolean;
  remove_invisible: boolean;
  unicode_spaces: boolean;
  collapse_spaces: boolean;
  strip_lines: boolean;
  max_blank_lines: number | null;
  trim: boolean;
  min_chars: number;
}

export const NORMALIZE_SCHEMA: Schema = {
  ...COMMON_FIELDS,
  form: { kind: "enum", values: ["NFC", "NFKC", "NFD", "NFKD", "none"], default: "NFC", doc: "Unicode normalization form" },
  newlines: flag(true, "CRLF and lone CR become LF; U+2028/U+2029 become LF"),
  remove_control: flag(true, "remove C0/C1 control characters other than tab and newline"),
  remove_invisible: flag(true, "remove zero-width characters, soft hyphens and byte-order marks"),
  unicode_spaces: flag(true, "no-break and other Unicode spaces become an ASCII space"),
  collapse_spaces: flag(false, "runs of spaces and tabs inside a line become one space (off for code)"),
  strip_lines: flag(true, "remove trailing spaces and tabs at the end of lines"),
  max_blank_lines: { kind: "number", integer: true, min: 0, nullable: true, default: 2, doc: "longest run of blank lines kept (null: no limit)" },
  trim: flag(true, "remove leading and trailing whitespace of the document"),
  min_chars: { kind: "number", integer: true, min: 0, default: 1, doc: "documents shorter than this after normalization are removed" },
};

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const INVISIBLE = /[\u00ad\u200b-\u200d\u2060\ufeff]/g;
const USPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;

export function normalizeText(text: string, o: NormalizeOptions): string {
  let t = text;
  if (o.form !== "none") t = t.normalize(o.form);
  if (o.newlines) t = t.replace(/\r\n?/g, "\n").replace(/[\u2028\u2029]/g, "\n");
  if (o.remove_control) t = t.replace(CONTROL, "");
  if (o.remove_invisible) t = t.replace(INVISIBLE, "");
  if (o.unicode_spaces) t = t.replace(USPACE, " ");
  if (o.collapse_spaces) t = t.replace(/[ \t]{2,}/g, " ");
  if (o.strip_lines) t = t.replace(/[ \t]+$/gm, "");
  if (o.max_blank_lines !== null) {
    const limit = o.max_blank_lines;
    t = t.replace(new RegExp(`\\n{${limit + 2},}`, "g"), "\n".repeat(limit + 1));
  }
  if (o.trim) t = t.trim();
  return t;
}

export function createNormalize(raw: unknown, name: string): TransformStep {
  const o = validate<NormalizeOptions>(raw, NORMALIZE_SCHEMA, `steps.${name}`);
  return {
    kind: "transform", name, type: "normalize", domains: o.domains,
    process(doc: Document, ctx: StepContext) {
      const text = normalizeText(doc.text, o);
      if (text.length < o.min_chars) {
        ctx.remove(doc, "normalize.empty");
        return null;
      }
      if (text !== doc.text) ctx.count("modified");
      return text === doc.text ? doc : { ...doc, text };
    },
  };
}
