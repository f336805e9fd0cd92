/** What every domain of the demo corpus provides, and the options they share. */
import type { Document } from "../data/document.js";
import type { PackageInfo } from "./packages.js";

export const DOMAIN_NAMES = ["books", "speeches", "web", "encyclopedia", "code", "math"] as const;
export type DomainName = (typeof DOMAIN_NAMES)[number];

export interface DomainContext {
  /** the largest document, in UTF-8 bytes of its text; longer units are cut at natural boundaries */
  maxDocumentBytes: number;
  /** seeds everything random (only the math domain generates text) */
  seed: string;
  /** arithmetic problems to generate (before the byte cap picks among them) */
  mathProblems: number;
  /** math problems per document */
  problemsPerDocument: number;
}

export interface DomainDocuments {
  /** in a deterministic order (sorted sources, then position within each) */
  documents: Document[];
  /** source files or items read */
  sourceItems: number;
  /** the package the text comes from (null: generated here) */
  package: PackageInfo | null;
  /** what was held out or left out, and why, in a sentence */
  excluded: string;
}

export type DomainBuilder = (ctx: DomainContext) => DomainDocuments;

/** A document of `domain` with its id, text and source file. */
export function doc(domain: DomainName, id: string, text: string, source: string): Document {
  return { id: `${domain}/${id}`, text, meta: { source, domain } };
}

/** One document per chunk: the id alone when there is one chunk, else "<id>/part-<k>" (k from 1). */
export function docs(domain: DomainName, id: string, chunks: readonly string[], source: string): Document[] {
  return chunks.map((c, i) => doc(domain, chunks.length === 1 ? id : `${id}/part-${i + 1}`, c, source));
}
