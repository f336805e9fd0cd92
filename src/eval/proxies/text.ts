/** Splitting prose into paragraphs and sentences (for passages and haystacks). */

export function paragraphs(text: string): string[] {
  return text.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, " ").trim()).filter((p) => p !== "");
}

/** Sentences of a paragraph: split after . ! ? (and any closing quotes) before whitespace and a capital or quote. */
export function sentences(paragraph: string): string[] {
  const out: string[] = [];
  const re = /[.!?]["'”’)\]]*\s+(?=["'“‘(]?[A-Z0-9])/g;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(paragraph)) !== null) {
    const end = m.index + m[0].trimEnd().length;
    out.push(paragraph.slice(start, end).trim());
    start = m.index + m[0].length;
  }
  const rest = paragraph.slice(start).trim();
  if (rest) out.push(rest);
  return out.filter((s) => s !== "");
}

export function wordCount(s: string): number {
  return s.split(/\s+/).filter(Boolean).length;
}
