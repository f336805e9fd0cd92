/**
 * HTML to readable text, enough for the HTML bodies of 2002-era email: scripts, styles and comments dropped,
 * block elements become line or paragraph breaks, other tags vanish, common entities are decoded. Not a
 * general HTML parser; text it cannot make sense of stays as it is (the corpus is meant to be noisy web text).
 */

const NAMED: Record<string, string> = {
  nbsp: " ", amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", copy: "©", reg: "®", trade: "™", mdash: "—",
  ndash: "–", hellip: "…", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", bull: "•", middot: "·", laquo: "«",
  raquo: "»", euro: "€", pound: "£", yen: "¥", cent: "¢", deg: "°", times: "×", eacute: "é", egrave: "è",
  agrave: "à", aacute: "á", ccedil: "ç", uuml: "ü", ouml: "ö", auml: "ä", szlig: "ß", iexcl: "¡", iquest: "¿",
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});?/gi, (m, e: string) => {
    if (e[0] === "#") {
      const cp = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      // C0/C1 controls and surrogates are not text.
      if (cp < 32 && cp !== 9 && cp !== 10) return " ";
      if ((cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff) return " ";
      return String.fromCodePoint(cp);
    }
    return NAMED[e.toLowerCase()] ?? m;
  });
}

const BLOCK = "p|div|table|tr|h[1-6]|ul|ol|blockquote|center|pre|form|hr|dl|body|html";

export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<(script|style|head|title|xml)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!doctype[^>]*>/gi, " ")
    // In HTML, source line breaks are just spaces; the tags decide where lines break.
    .replace(/\s+/g, " ")
    .replace(new RegExp(`<\\/?(?:${BLOCK})\\b[^>]*>`, "gi"), "\n\n")
    .replace(/<(?:br|li|dt|dd|td|th)\b[^>]*>/gi, (t) => (/^<br/i.test(t) ? "\n" : /^<li/i.test(t) ? "\n- " : /^<d/i.test(t) ? "\n" : " "))
    .replace(/<\/?[a-z][^>]*>/gi, "");
  return decodeEntities(text)
    .split("\n").map((l) => l.replace(/[ \t\u00a0]+/g, " ").trim()).join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
