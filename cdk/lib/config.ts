/**
 * Loading the settings both deployers read: config/pipeline.json (and overrides) type-checked
 * and guarded into a deployable configuration, or the list of what to change.
 */
import * as fs from "node:fs";

import { problems } from "./guardrails";
import { DEFAULTS, PipelineConfig, TERRAFORM_ONLY, TYPES } from "./settings";

/** A configuration that cannot be deployed; `problems` says what to change, one per setting. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`config/pipeline.json cannot be deployed:\n- ${problems.join("\n- ")}`);
    this.name = "ConfigError";
  }
}

/** Unknown settings and values of the wrong type, checked before the guardrails. */
function typeProblems(raw: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (TERRAFORM_ONLY.includes(key)) {
      continue;
    }
    const expected = TYPES[key as keyof PipelineConfig];
    if (expected === undefined) {
      found.push(`${key} is not a setting of the stack (README, "Settings")`);
      continue;
    }
    const actual = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
    const kind = expected.replace("?", "");
    if (actual !== kind && !(actual === "null" && expected.endsWith("?"))) {
      found.push(
        `${key} must be ${expected.endsWith("?") ? `null or a ${kind}` : `a ${kind}`}, not ${actual}`,
      );
    }
  }
  return found;
}

/** Reads a settings file (and overrides) into a deployable configuration, or throws ConfigError. */
export function loadConfig(path: string, overrides: Record<string, unknown> = {}): PipelineConfig {
  const raw = JSON.parse(fs.readFileSync(path, "utf8")) as Record<string, unknown>;
  return parseConfig({ ...raw, ...overrides });
}

/** Settings (any subset) over the defaults, type-checked and guarded; throws ConfigError. */
export function parseConfig(raw: Record<string, unknown>): PipelineConfig {
  const wrongTypes = typeProblems(raw);
  if (wrongTypes.length > 0) {
    throw new ConfigError(wrongTypes);
  }
  const known = Object.fromEntries(
    Object.entries(raw).filter(([k]) => !TERRAFORM_ONLY.includes(k)),
  );
  const config = { ...DEFAULTS, ...known };
  const found = problems(config);
  if (found.length > 0) {
    throw new ConfigError(found);
  }
  return config;
}
