// The extension's settings, read into plain values so the rules for them can be unit-tested without VS Code.

import * as path from "node:path";

export interface Settings {
  /** The envbuild executable as configured: a name on PATH, or a path (relative to the workspace folder). */
  executable: string;
  debounceMs: number;
  refreshSeconds: number;
}

export const DEFAULTS: Settings = { executable: "envbuild", debounceMs: 150, refreshSeconds: 10 };

/** The program to spawn: a bare name is looked up on PATH by the OS; a relative path (`.venv/bin/envbuild`)
 * is taken from the workspace folder, since VS Code's own working directory means nothing to the user. */
export function resolveExecutable(configured: string | undefined, workspaceFolder: string | undefined): string {
  const value = (configured ?? "").trim() || DEFAULTS.executable;
  if (value.startsWith("~/") && process.env.HOME) {
    return path.join(process.env.HOME, value.slice(2));
  }
  const isBareName = !value.includes("/") && !value.includes("\\");
  if (isBareName || path.isAbsolute(value) || workspaceFolder === undefined) {
    return value;
  }
  return path.resolve(workspaceFolder, value);
}

/** How the language client starts the server: `<envbuild> lsp`, speaking LSP on stdio. No `transport`
 * field on purpose: with `TransportKind.stdio` vscode-languageclient appends `--stdio` to the arguments. */
export function serverCommand(executable: string): { command: string; args: string[] } {
  return { command: executable, args: ["lsp"] };
}

/** Numbers from settings.json may be anything a user typed: keep them finite and not negative. */
export function nonNegative(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : fallback;
}
