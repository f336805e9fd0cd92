/**
 * Language identification with franc (trigram profiles of 187 languages, maintained, pure JS). franc names the
 * closest language; its own scores are relative (the best is always 1), so the score used for the threshold is
 * the fit of the sample to the chosen language's trigram profile: 1 − distance / (trigrams × 300), franc's own
 * distance measure scaled to [0, 1] (1: the sample's trigram ranking equals the profile; 0: none of its
 * trigrams is in the profile). It is measured on a fixed-size sample so that it does not drift with length.
 * The language and score go into meta; documents outside `languages` or under `min_score` are removed.
 */
import { francAll } from "franc";
// franc's trigram profiles, to measure the distance franc ranks languages by
import { data as francData } from "franc/data.js";
import type { Document } from "../document.js";
import type { StepContext, TransformStep } from "../pipeline/step.js";
import { validate, type Schema } from "../../util/schema.js";
import { COMMON_FIELDS, type CommonOptions } from "./common.js";

export const LANGID_SCHEMA: Schema = {
  ...COMMON_FIELDS,
  languages: { kind: "strings", default: ["eng"], doc: "ISO 639-3 codes kept ([] keeps every language, only annotating)" },
  min_score: { kind: "number", min: 0, max: 1, default: 0.05, doc: "smallest profile fit kept" },
  candidates: { kind: "strings", default: [], doc: "restrict franc to these languages ([]: all it knows)" },
  ignore: { kind: "strings", default: ["sco"], doc: "languages franc never answers (Scots shares English's profile)" },
  sample_chars: { kind: "number", integer: true, min: 50, default: 1500, doc: "characters of the cleaned text sampled" },
  min_chars: { kind: "number", integer: true, min: 1, default: 50, doc: "shorter samples are undetermined (\"und\")" },
  keep_undetermined: { kind: "boolean", default: false, doc: "keep documents whose language cannot be determined" },
  meta_key: { kind: "string", default: "language", doc: "meta key for the language (the score goes to <key>_score)" },
};

interface LangidOptions extends CommonOptions {
  languages: string[];
  min_score: number;
  candidates: string[];
  ignore: string[];
  sample_chars: number;
  min_chars: number;
  keep_undetermined: boolean;
  meta_key: string;
}

const profiles = new Map<string, Record<string, number> | null>();

function profile(lang: string): Record<string, number> | null {
  if (profiles.has(lang)) return profiles.get(lang)!;
  let found: Record<string, number> | null = null;
  for (const script of Object.values(francData as Record<string, Record<string, string>>)) {
    const model = script[lang];
    if (model !== undefined) {
      const tri = model.split("|");
      found = {};
      for (let i = 0; i < tri.length; i++) found[tri[i]] = i;
      break;
    }
  }
  profiles.set(lang, found);
  return found;
}

/** Trigram counts of a sample, cleaned the way franc cleans it (ASCII punctuation and digits become spaces). */
function trigramCounts(sample: string): [string, number][] {
  const clean = " " + sample.replace(/[\u0021-\u0040]+/g, " ").replace(/\s+/g, " ").trim().toLowerCase() + " ";
  const counts = new Map<string, number>();
  for (let i = 0; i + 3 <= clean.length; i++) {
    const t = clean.slice(i, i + 3);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return [...counts];
}

/** The fit of `sample` to a language's trigram profile, in [0, 1] (see the file comment). */
export function profileFit(sample: string, lang: string): number {
  const model = profile(lang);
  if (model === null) return 1; // languages identified by script alone have no profile
  const tuples = trigramCounts(sample);
  if (tuples.length === 0) return 0;
  let distance = 0;
  for (let i = 0; i < tuples.length; i++) {
    const [tri, rank] = tuples[i];
    const m = model[tri];
    distance += m === undefined ? 300 : Math.min(300, Math.abs(rank - m - 1));
  }
  return 1 - distance / (tuples.length * 300);
}

/** The sample franc sees: URLs, e-mail addresses, markup and digits removed, whitespace collapsed. */
export function languageSample(text: string, chars: number): string {
  return text
    .slice(0, chars * 4)
    .replace(/https?:\/\/\S+|www\.\S+|\S+@\S+/g, " ")
    .replace(/<[^>]{0,200}>/g, " ")
    .replace(/[\d_=*#|~^<>[\]{}\\/]+/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, chars);
}

export function identify(text: string, o: Pick<LangidOptions, "sample_chars" | "min_chars" | "candidates" | "ignore">): { language: string; score: number } {
  const sample = languageSample(text, o.sample_chars);
  if (sample.length < o.min_chars) return { language: "und", score: 0 };
  const ranked = francAll(sample, { minLength: o.min_chars, only: o.candidates.length ? o.candidates : undefined, ignore: o.ignore });
  const language = ranked[0]?.[0] ?? "und";
  if (language === "und") return { language, score: 0 };
  return { language, score: profileFit(sample, language) };
}

export function createLangid(raw: unknown, name: string): TransformStep {
  const o = validate<LangidOptions>(raw, LANGID_SCHEMA, `steps.${name}`);
  const keep = new Set(o.languages);
  return {
    kind: "transform", name, type: "langid", domains: o.domains,
    process(doc: Document, ctx: StepContext) {
      const { language, score } = identify(doc.text, o);
      ctx.count(`language.${language}`);
      const out = { ...doc, meta: { ...doc.meta, [o.meta_key]: language, [`${o.meta_key}_score`]: Number(score.toFixed(4)) } };
      if (language === "und") {
        if (o.keep_undetermined) return out;
        ctx.remove(doc, "langid.undetermined");
        return null;
      }
      if (keep.size > 0 && !keep.has(language)) {
        ctx.remove(doc, "langid.language", language);
        return null;
      }
      if (score < o.min_score) {
        ctx.remove(doc, "langid.min_score", `${language} ${score.toFixed(3)} < ${o.min_score}`);
        return null;
      }
      return out;
    },
  };
}
