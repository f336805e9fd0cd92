/**
 * The GPT-2 byte↔unicode alphabet every byte-level BPE uses (Hugging Face ByteLevel, tiktoken's GPT-2 files,
 * llama.cpp's "gpt2" vocabularies): each of the 256 byte values gets a printable character, so a token — any
 * byte string — can be written as an ordinary JSON string. Printable Latin-1 bytes (33–126, 161–172, 174–255)
 * stand for themselves; the other 68 (controls, space, 127–160, the soft hyphen 173) are mapped in byte order to
 * U+0100, U+0101, … — which is why a leading space shows as "Ġ" (U+0120) and a newline as "Ċ" (U+010A).
 */

function build(): { byteToChar: string[]; charToByte: Map<number, number> } {
  const byteToChar = new Array<string>(256);
  const charToByte = new Map<number, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    const cp = printable ? b : 256 + extra++;
    byteToChar[b] = String.fromCharCode(cp);
    charToByte.set(cp, b);
  }
  return { byteToChar, charToByte };
}

const TABLES = build();

/** The character standing for byte `b` (0–255). */
export const BYTE_TO_CHAR: readonly string[] = TABLES.byteToChar;

/** The byte a character of the alphabet stands for, or undefined for any other character. */
export function charToByte(codePoint: number): number | undefined {
  return TABLES.charToByte.get(codePoint);
}

/** A byte string written in the alphabet ("Ġthe" for the bytes of " the"). */
export function bytesToTokenString(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}

/** The bytes a token string in the alphabet stands for, or null when it holds a character outside it. */
export function tokenStringToBytes(token: string): Uint8Array | null {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = TABLES.charToByte.get(token.charCodeAt(i));
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}
