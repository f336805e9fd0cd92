/**
 * Heuristic filters for mathematical text (papers, forum posts, textbooks in LaTeX or plain notation): length,
 * how much of the document carries mathematics, balanced TeX delimiters, garbled characters and repetition.
 * Removals name the rule, e.g. "math.min_math_density".
 */
import type { Document } from "../../document.js";
import type { StepContext, TransformStep } from "../../pipeline/step.js";
import { validate, type Schema } from "../../../util/schema.js";
import { COMMON_FIELDS, contentWords, duplicates, threshold, type CommonOptions } from "../common.js";
import type { Verdict } from "./prose.js";

export const MATH_SCHEMA: Schema = {
  ...COMMON_FIELDS,
  min_words: threshold(20, "fewest words"),
  max_words: threshold(200_000, "most words"),
  min_math_density: threshold(0.05, "smallest share of non-blank lines carrying mathematics", 0, 1),
  max_brace_imbalance: threshold(2, "largest difference between { and } counts"),
  require_even_dollars: { kind: "boolean", default: true, doc: "remove documents with an odd number of unescaped $" },
  max_replacement_ratio: threshold(0.001, "largest share of U+FFFD replacement characters", 0, 1),
  max_dup_line_frac: threshold(0.3, "largest share of lines repeating an earlier line", 0, 1),
};

interface MathOptions extends CommonOptions {
  min_words: number | null;
  max_words: number | null;
  min_math_density: number | null;
  max_brace_imbalance: number | null;
  require_even_dollars: boolean;
  max_replacement_ratio: number | null;
  max_dup_line_frac: number | null;
}

/** A line carries mathematics: TeX math or commands, or an equation or formula in plain notation. */
const MATH_LINE = [
  /\$[^$]+\$/, /\\\(|\\\[|\\begin\{(equation|align|gather|multline|eqnarray)/,
  /\\(frac|sqrt|sum|int|prod|lim|infty|alpha|beta|gamma|delta|theta|lambda|pi|sigma|mu|cdot|times|leq|geq|neq|approx|mathbb|mathrm|partial|nabla|binom|pmod)\b/,
  /[∑∫∏√∞≤≥≠≈±×÷∂∇∈∉⊂⊆∪∩∀∃→⇒⇔πθλσμ]/,
  /\b[a-zA-Z]\s*(\^|_)\s*[{(\w]/, /\d\s*[-+*/^=<>]\s*\d/, /\b[a-z]\s*=\s*[-\d(a-z]/, /\b(sin|cos|tan|log|ln|exp)\s*\(/,
];

export function isMathLine(line: string): boolean {
  return MATH_LINE.some((re) => re.test(line));
}

export function mathVerdict(doc: Document, o: MathOptions): Verdict | null {
  const text = doc.text;
  const n = contentWords(text).length;
  if (o.min_words !== null && n < o.min_words) return { rule: "math.min_words", detail: `${n} words` };
  if (o.max_words !== null && n > o.max_words) return { rule: "math.max_words", detail: `${n} words` };
  if (o.max_replacement_ratio !== null) {
    const r = (text.match(/\ufffd/g) ?? []).length / Math.max(1, text.length);
    if (r > o.max_replacement_ratio) return { rule: "math.garbled", detail: r.toFixed(4) };
  }
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  if (o.max_dup_line_frac !== null && lines.length > 0) {
    const r = duplicates(lines).count / lines.length;
    if (r > o.max_dup_line_frac) return { rule: "math.dup_line_frac", detail: r.toFixed(3) };
  }
  if (o.max_brace_imbalance !== null) {
    const open = (text.match(/(?<!\\)\{/g) ?? []).length;
    const close = (text.match(/(?<!\\)\}/g) ?? []).length;
    if (Math.abs(open - close) > o.max_brace_imbalance) return { rule: "math.brace_imbalance", detail: `${open} { vs ${close} }` };
  }
  if (o.require_even_dollars) {
    const dollars = (text.match(/(?<!\\)\$/g) ?? []).length;
    if (dollars % 2 === 1) return { rule: "math.odd_dollars", detail: `${dollars} $` };
  }
  if (o.min_math_density !== null && lines.length > 0) {
    const r = lines.filter(isMathLine).length / lines.length;
    if (r < o.min_math_density) return { rule: "math.min_math_density", detail: r.toFixed(3) };
  }
  return null;
}

export function createMathFilter(raw: unknown, name: string): TransformStep {
  const o = validate<MathOptions>(raw, MATH_SCHEMA, `steps.${name}`);
  return {
    kind: "transform", name, type: "filter_math", domains: o.domains,
    process(doc: Document, ctx: StepContext) {
      const v = mathVerdict(doc, o);
      if (v) {
        ctx.remove(doc, v.rule, v.detail);
        return null;
      }
      return doc;
    },
  };
}
