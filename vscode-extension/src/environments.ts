// Environments as `envbuild envs ls --format json` reports them, and what the status bar says about one.

import * as path from "node:path";

export interface Environment {
  name: string;
  status: string;
  project_dir: string;
  workdir?: string;
  ssh?: string | null;
  jupyter?: string | null;
  image?: string;
}

/** The JSON rows of `envs ls`; anything else is an error whose message says what was wrong. */
export function parseEnvironments(stdout: string): Environment[] {
  let rows: unknown;
  try {
    rows = JSON.parse(stdout);
  } catch {
    throw new Error(`envbuild envs ls printed no JSON: ${stdout.trim().slice(0, 120) || "(nothing)"}`);
  }
  if (!Array.isArray(rows)) {
    throw new Error("envbuild envs ls did not print a JSON list");
  }
  return rows.filter(isEnvironment);
}

function isEnvironment(row: unknown): row is Environment {
  if (typeof row !== "object" || row === null) {
    return false;
  }
  const record = row as Record<string, unknown>;
  return typeof record.name === "string" && typeof record.status === "string" && typeof record.project_dir === "string";
}

function normalise(dir: string): string {
  const resolved = path.resolve(dir);
  return resolved.length > 1 ? resolved.replace(/[\\/]+$/, "") : resolved;
}

/** The environment started from `projectDir` (the CLI records the project directory on each environment). */
export function environmentFor(environments: Environment[], projectDir: string): Environment | undefined {
  const wanted = normalise(projectDir);
  const matches = environments.filter((env) => normalise(env.project_dir) === wanted);
  return matches.find((env) => env.status === "running") ?? matches[0];
}

export interface StatusText {
  text: string;
  tooltip: string;
}

export function statusText(env: Environment | undefined, projectDir: string): StatusText {
  if (env === undefined) {
    return {
      text: `$(vm-outline) ${path.basename(projectDir)}: no environment`,
      tooltip: `No envbuild environment for ${projectDir}. Click for envbuild commands (Up starts one).`,
    };
  }
  const icon = env.status === "running" ? "$(vm-running)" : "$(vm)";
  const details = [`${env.name} is ${env.status}`];
  if (env.ssh) {
    details.push(`ssh ${env.ssh}`);
  }
  if (env.jupyter) {
    details.push(`Jupyter ${env.jupyter}`);
  }
  return { text: `${icon} ${env.name}: ${env.status}`, tooltip: details.join("\n") };
}

export function errorText(message: string): StatusText {
  return { text: "$(warning) envbuild", tooltip: message };
}
