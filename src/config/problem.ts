import type { Path } from "./yaml-lines.js";

/** One thing wrong with a config file, at a YAML path; every config check reports these. */
export interface Problem {
  path: Path;
  message: string;
}
