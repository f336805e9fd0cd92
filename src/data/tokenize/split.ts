/**
 * The train/valid split of `pretrain data tokenize`: a document is held out when
 *
 *   SHA-256("pretrain-ts split <seed>\n" ‖ UTF-8 of its text), first 48 bits as a fraction of 2⁴⁸, < fraction
 *
 * It depends on the text and the seed only, so it is the same whatever the thread count, the file layout or the
 * order documents arrive in, and copies of one text always land on the same side (no exact duplicate leaks from
 * training into the held-out set). The text rather than an id: ids are often missing ("<file>:<line>" then,
 * which changes when files are re-cut) or not unique across sources.
 */
import { createHash } from "node:crypto";

/** The document's position in [0, 1) under this seed (uniform over texts). */
export function splitPoint(text: string, seed: number): number {
  const d = createHash("sha256").update(`pretrain-ts split ${seed}\n`).update(text, "utf8").digest();
  return d.readUIntBE(0, 6) / 2 ** 48;
}

export function isHeldOut(text: string, seed: number, validFraction: number): boolean {
  return validFraction > 0 && splitPoint(text, seed) < validFraction;
}
