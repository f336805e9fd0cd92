/**
 * Headless Chromium for rendering the HTML pages this toolkit writes: a PNG screenshot, or the DOM after
 * rendering. Uses Debian's `chromium` package (or PRETRAIN_CHROMIUM, or another Chrome found on the PATH), with a
 * throw-away profile and no network: the pages are self-contained.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export class BrowserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BrowserError";
  }
}

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

/** The Chromium binary to use, or null when none is installed. */
export function findChromium(): string | null {
  const env = process.env.PRETRAIN_CHROMIUM;
  if (env) return existsSync(env) ? env : null;
  for (const c of CANDIDATES) if (existsSync(c)) return c;
  return null;
}

function requireChromium(): string {
  const bin = findChromium();
  if (!bin) {
    throw new BrowserError("no headless Chromium found: install Debian's `chromium` package (apt-get install chromium) " +
      "or set PRETRAIN_CHROMIUM to a Chrome/Chromium binary");
  }
  return bin;
}

function run(args: string[], timeoutMs: number): string {
  const bin = requireChromium();
  const profile = mkdtempSync(join(tmpdir(), "pretrain-chromium-"));
  try {
    const r = spawnSync(bin, [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-extensions", "--hide-scrollbars", `--user-data-dir=${profile}`, ...args,
    ], { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20 });
    if (r.error) throw new BrowserError(`${bin} failed to run: ${r.error.message}`);
    if (r.status !== 0) throw new BrowserError(`${bin} exited with status ${r.status}: ${r.stderr.slice(-500)}`);
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Renders an HTML file and writes a PNG screenshot of the top `height` pixels at the given width. */
export function screenshot(htmlPath: string, pngPath: string, width = 1280, height = 2400, timeoutMs = 60000): void {
  run([`--screenshot=${resolve(pngPath)}`, `--window-size=${width},${height}`, pathToFileURL(resolve(htmlPath)).href], timeoutMs);
  if (!existsSync(pngPath)) throw new BrowserError(`chromium did not write ${pngPath}`);
}

/** Renders an HTML file and returns the serialized DOM after scripts and layout. */
export function dumpDom(htmlPath: string, timeoutMs = 60000): string {
  return run(["--dump-dom", pathToFileURL(resolve(htmlPath)).href], timeoutMs);
}
