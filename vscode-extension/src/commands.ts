// What each command runs: the CLI's arguments, where the project is, and the Remote-SSH address of an
// environment. Plain functions, so the rules are unit-tested without VS Code.

import * as path from "node:path";
import type { Environment } from "./environments";

/** Every command the extension contributes (package.json lists the same ids; a unit test checks it). */
export const COMMANDS = [
  "envbuild.build",
  "envbuild.up",
  "envbuild.destroy",
  "envbuild.openJupyter",
  "envbuild.attach",
  "envbuild.refreshStatus",
  "envbuild.restartServer",
] as const;

export type CliCommand = "build" | "up" | "destroy";

/** `up` is detached: the editor attaches through Remote-SSH instead of a shell in a terminal. */
export function cliArgs(command: CliCommand, projectDir: string): string[] {
  switch (command) {
    case "build":
      return ["build", "--path", projectDir];
    case "up":
      return ["up", "--path", projectDir, "--detach"];
    case "destroy":
      return ["destroy", "--path", projectDir];
  }
}

export const ENVS_LIST_ARGS = ["envs", "ls", "--format", "json"];

/** The project a command is for: the directory of the open build file, else the first workspace folder. */
export function projectDirFor(activeFile: string | undefined, workspaceFolders: string[]): string | undefined {
  if (activeFile !== undefined && activeFile.endsWith(".envd")) {
    return path.dirname(activeFile);
  }
  return workspaceFolders[0];
}

/** `vscode-remote://ssh-remote+<env>.envd/home/envd/<env>`: the folder Remote-SSH opens in the environment
 * (`envbuild up` writes the `<env>.envd` host into ~/.ssh/config). */
export function remoteFolderUri(env: Environment): string {
  const host = env.ssh || `${env.name}.envd`;
  const folder = env.workdir && env.workdir.startsWith("/") ? env.workdir : `/home/envd/${env.name}`;
  return `vscode-remote://ssh-remote+${host}${folder}`;
}

export const REMOTE_SSH_EXTENSION = "ms-vscode-remote.remote-ssh";
