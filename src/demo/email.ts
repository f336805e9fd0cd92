/**
 * The readable part of a raw RFC 822 email: its subject and the text of its body. The routing headers (Received,
 * Return-Path, addresses, message ids) are dropped: they are noise, and the addresses are personal data. MIME is
 * followed far enough for the SpamAssassin corpus: multipart bodies are walked, a text/plain alternative is
 * preferred to its text/html twin, HTML is turned into text, quoted-printable and base64 are decoded, declared
 * charsets are honoured, attachments are skipped.
 */
import { htmlToText } from "./html.js";

interface Entity {
  headers: Map<string, string>;
  body: string;
}

export interface EmailText {
  subject: string;
  body: string;
}

/** Headers (unfolded, lower-case names, first occurrence wins) and body of a message or MIME part. */
function parseEntity(raw: string): Entity {
  // A MIME part may have no headers at all: its body then starts right after the empty first line.
  if (raw.startsWith("\n")) return { headers: new Map(), body: raw.slice(1) };
  const split = /\n\n/.exec(raw);
  const head = split ? raw.slice(0, split.index) : raw;
  const body = split ? raw.slice(split.index + 2) : "";
  const headers = new Map<string, string>();
  let last: string | null = null;
  for (const line of head.split("\n")) {
    if (/^[ \t]/.test(line) && last !== null) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (!m) {
      last = null; // the mbox "From " line and other junk
      continue;
    }
    const name = m[1].toLowerCase();
    if (headers.has(name)) {
      last = null;
      continue;
    }
    headers.set(name, m[2].trim());
    last = name;
  }
  return { headers, body };
}

interface ContentType {
  type: string;
  params: Map<string, string>;
}

function contentType(value: string | undefined): ContentType {
  const v = value ?? "text/plain";
  const type = (/^\s*([\w.+-]+\/[\w.+-]+)/.exec(v)?.[1] ?? "text/plain").toLowerCase();
  const params = new Map<string, string>();
  for (const m of v.matchAll(/;\s*([\w*-]+)\s*=\s*(?:"([^"]*)"|([^;\s]+))/g)) params.set(m[1].toLowerCase(), m[2] ?? m[3]);
  return { type, params };
}

/** The body's bytes after its transfer encoding; the body string holds one byte per char (latin1). */
function transferDecode(body: string, encoding: string | undefined): Buffer {
  const enc = (encoding ?? "").trim().toLowerCase();
  if (enc === "base64") return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
  if (enc === "quoted-printable") {
    const s = body.replace(/=[ \t]*\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(s, "latin1");
  }
  return Buffer.from(body, "latin1");
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** Bytes as text in the declared charset; undeclared or unknown: UTF-8 when valid, else Windows-1252. */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? "").trim().toLowerCase();
  const ascii = label === "" || label === "us-ascii" || label === "ascii";
  if (!ascii && label !== "utf-8" && label !== "utf8") {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // unknown label: fall through to the guess below
    }
  }
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

/** RFC 2047 encoded words in a header ("=?iso-8859-1?Q?caf=E9?="); adjacent encoded words join without space. */
export function decodeHeader(value: string): string {
  return value
    .replace(/(\?=)\s+(?==\?)/g, "$1")
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, charset: string, enc: string, text: string) => {
      const bytes = enc.toUpperCase() === "B"
        ? Buffer.from(text, "base64")
        : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1");
      return decodeCharset(bytes, charset.replace(/\*.*$/, ""));
    });
}

interface Part {
  text: string;
  html: boolean;
}

function extract(e: Entity, depth: number): Part | null {
  if (depth > 8) return null;
  const ct = contentType(e.headers.get("content-type"));
  const disposition = (e.headers.get("content-disposition") ?? "").toLowerCase();
  if (disposition.startsWith("attachment")) return null;
  if (ct.type.startsWith("multipart/")) {
    const boundary = ct.params.get("boundary");
    if (!boundary) return { text: decodeCharset(Buffer.from(e.body, "latin1"), undefined), html: false };
    const parts = splitMultipart(e.body, boundary).map((p) => extract(parseEntity(p), depth + 1)).filter((p): p is Part => p !== null && p.text.trim() !== "");
    if (parts.length === 0) return null;
    if (ct.type === "multipart/alternative") return parts.find((p) => !p.html) ?? parts[0];
    return { text: parts.map((p) => p.text).join("\n\n"), html: parts.every((p) => p.html) };
  }
  if (ct.type === "message/rfc822") return extract(parseEntity(e.body), depth + 1);
  if (ct.type !== "text/plain" && ct.type !== "text/html") return null;
  const text = decodeCharset(transferDecode(e.body, e.headers.get("content-transfer-encoding")), ct.params.get("charset"));
  return ct.type === "text/html" ? { text: htmlToText(text), html: true } : { text, html: false };
}

function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  const delimiter = `--${boundary}`;
  let cur: string[] | null = null; // null: still in the preamble
  for (const line of body.split("\n")) {
    const t = line.trimEnd();
    if (t === delimiter || t === `${delimiter}--`) {
      if (cur) parts.push(cur.join("\n"));
      if (t.endsWith("--") && t !== delimiter) return parts;
      cur = [];
    } else if (cur) cur.push(line);
  }
  if (cur) parts.push(cur.join("\n"));
  return parts;
}

/** Line ends normalized, control characters gone, trailing spaces trimmed, runs of blank lines squeezed. */
export function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/g, "")
    .split("\n").map((l) => l.trimEnd()).join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** PGP signature blocks and the armour lines of a signed message: base64 noise, not text. */
export function stripPgp(text: string): string {
  return text
    .replace(/^-----BEGIN PGP SIGNATURE-----[\s\S]*?^-----END PGP SIGNATURE-----[ \t]*$/gm, "")
    .replace(/^-----BEGIN PGP SIGNED MESSAGE-----\n(?:Hash: [^\n]*\n)?/gm, "");
}

/** The subject and body text of a raw email (its file's bytes), or null when it has no text part. */
export function emailText(raw: Uint8Array): EmailText | null {
  const message = parseEntity(Buffer.from(raw).toString("latin1").replace(/\r\n/g, "\n"));
  const part = extract(message, 0);
  if (!part) return null;
  const body = tidy(stripPgp(part.text));
  if (body === "") return null;
  return { subject: tidy(decodeHeader(message.headers.get("subject") ?? "")).replace(/\s+/g, " "), body };
}
