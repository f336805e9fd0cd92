/**
 * The npm packages the demo corpus reads its text from: where they are installed, and what their package.json
 * (and, for the @stdlib data sets, datapackage.json) say about version and license, read at build time so the
 * corpus records exactly what it was built from.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageDir } from "../eval/proxies/sources.js";

export class DemoCorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DemoCorpusError";
  }
}

/** The installed folder of `name`; a missing package is an error naming it, the domain, and the fix. */
export function requirePackage(name: string, domain: string): string {
  try {
    return packageDir(name);
  } catch {
    throw new DemoCorpusError(
      `the demo corpus's "${domain}" domain reads the npm package ${name}, which is not installed: run \`npm ci\` in the project`);
  }
}

export interface PackageInfo {
  name: string;
  version: string;
  /** package.json's "license" (for the data sets, the license of the package's code) */
  license: string;
  /** datapackage.json's "license" where the package has one: the license of the data itself */
  dataLicense: string | null;
}

export function packageInfo(name: string, domain: string): PackageInfo {
  const dir = requirePackage(name, domain);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: unknown; license?: unknown };
  let dataLicense: string | null = null;
  const dp = join(dir, "datapackage.json");
  if (existsSync(dp)) {
    const lic = (JSON.parse(readFileSync(dp, "utf8")) as { license?: unknown }).license;
    if (typeof lic === "string") dataLicense = lic;
  }
  return {
    name, version: String(pkg.version ?? "unknown"),
    license: typeof pkg.license === "string" ? pkg.license : "unstated", dataLicense,
  };
}
