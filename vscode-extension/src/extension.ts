// The envbuild extension: starts `envbuild lsp` for .envd files, runs the CLI's build/up/destroy as tasks,
// opens Jupyter or the environment itself (Remote-SSH), and shows the environment's state in the status bar.

import { execFile } from "node:child_process";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { CliCommand, ENVS_LIST_ARGS, REMOTE_SSH_EXTENSION, cliArgs, projectDirFor, remoteFolderUri } from "./commands";
import { Environment, environmentFor, errorText, parseEnvironments, statusText } from "./environments";
import { DEFAULTS, Settings, nonNegative, resolveExecutable, serverCommand } from "./settings";

const LIST_TIMEOUT_MS = 15_000;

let client: LanguageClient | undefined;
let statusBar: vscode.StatusBarItem;
let refreshTimer: NodeJS.Timeout | undefined;
let output: vscode.OutputChannel;

function settings(): Settings {
  const config = vscode.workspace.getConfiguration("envbuild");
  return {
    executable: config.get<string>("path", DEFAULTS.executable),
    debounceMs: nonNegative(config.get("lsp.debounceMs"), DEFAULTS.debounceMs),
    refreshSeconds: nonNegative(config.get("status.refreshSeconds"), DEFAULTS.refreshSeconds),
  };
}

function workspaceFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
}

function executable(): string {
  return resolveExecutable(settings().executable, workspaceFolders()[0]);
}

function currentProject(): string | undefined {
  const active = vscode.window.activeTextEditor?.document;
  return projectDirFor(active?.uri.scheme === "file" ? active.uri.fsPath : undefined, workspaceFolders());
}

// ---------------------------------------------------------------- language server

async function startClient(): Promise<void> {
  const server = serverCommand(executable());
  const serverOptions: ServerOptions = server;
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "envd" }],
    initializationOptions: { debounceMs: settings().debounceMs },
    outputChannel: output,
  };
  client = new LanguageClient("envbuild", "envbuild language server", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    const message = `envbuild: cannot start \`${server.command} lsp\` (${String(error)}). Set "envbuild.path" to the envbuild executable.`;
    void vscode.window.showErrorMessage(message, "Open Settings").then((choice) => {
      if (choice) {
        void vscode.commands.executeCommand("workbench.action.openSettings", "envbuild.path");
      }
    });
  }
}

async function restartClient(): Promise<void> {
  if (client !== undefined) {
    await client.stop().catch(() => undefined);
    client = undefined;
  }
  await startClient();
}

// ---------------------------------------------------------------- environments

function listEnvironments(): Promise<Environment[]> {
  return new Promise((resolve, reject) => {
    execFile(executable(), ENVS_LIST_ARGS, { timeout: LIST_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(stderr.trim() || error.message));
        return;
      }
      try {
        resolve(parseEnvironments(stdout));
      } catch (parseError) {
        reject(parseError);
      }
    });
  });
}

async function currentEnvironment(): Promise<{ project: string; env: Environment | undefined } | undefined> {
  const project = currentProject();
  if (project === undefined) {
    void vscode.window.showWarningMessage("envbuild: open a folder or a build.envd file first.");
    return undefined;
  }
  return { project, env: environmentFor(await listEnvironments(), project) };
}

async function refreshStatus(): Promise<void> {
  const project = currentProject();
  if (project === undefined) {
    statusBar.hide();
    return;
  }
  try {
    const shown = statusText(environmentFor(await listEnvironments(), project), project);
    statusBar.text = shown.text;
    statusBar.tooltip = shown.tooltip;
  } catch (error) {
    const shown = errorText(error instanceof Error ? error.message : String(error));
    statusBar.text = shown.text;
    statusBar.tooltip = shown.tooltip;
  }
  statusBar.show();
}

function scheduleRefresh(): void {
  if (refreshTimer !== undefined) {
    clearInterval(refreshTimer);
    refreshTimer = undefined;
  }
  const seconds = settings().refreshSeconds;
  if (seconds > 0) {
    refreshTimer = setInterval(() => void refreshStatus(), seconds * 1000);
  }
}

// ---------------------------------------------------------------- commands

async function runCli(command: CliCommand): Promise<void> {
  const project = currentProject();
  if (project === undefined) {
    void vscode.window.showWarningMessage("envbuild: open a folder or a build.envd file first.");
    return;
  }
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(project)) ?? vscode.TaskScope.Workspace;
  const task = new vscode.Task(
    { type: "envbuild", command, path: project },
    folder,
    command,
    "envbuild",
    new vscode.ProcessExecution(executable(), cliArgs(command, project), { cwd: project }),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
  await vscode.tasks.executeTask(task);
}

async function openJupyter(): Promise<void> {
  const found = await currentEnvironment();
  if (found === undefined) {
    return;
  }
  if (found.env?.jupyter) {
    await vscode.env.openExternal(vscode.Uri.parse(found.env.jupyter));
  } else {
    const why = found.env ? `${found.env.name} serves no Jupyter (add config.jupyter() to the build)` : "no environment runs for this project";
    void vscode.window.showWarningMessage(`envbuild: ${why}.`);
  }
}

async function attach(): Promise<void> {
  const found = await currentEnvironment();
  if (found === undefined) {
    return;
  }
  if (found.env === undefined || found.env.status !== "running") {
    const choice = await vscode.window.showWarningMessage("envbuild: the environment is not running.", "Up");
    if (choice === "Up") {
      await runCli("up");
    }
    return;
  }
  if (vscode.extensions.getExtension(REMOTE_SSH_EXTENSION) === undefined) {
    const choice = await vscode.window.showErrorMessage("envbuild: Attach needs the Remote - SSH extension.", "Install");
    if (choice === "Install") {
      await vscode.commands.executeCommand("workbench.extensions.installExtension", REMOTE_SSH_EXTENSION);
    }
    return;
  }
  await vscode.commands.executeCommand("vscode.openFolder", vscode.Uri.parse(remoteFolderUri(found.env)), {
    forceNewWindow: true,
  });
}

async function pickCommand(): Promise<void> {
  const choices: Array<{ label: string; command: string }> = [
    { label: "$(tools) Build", command: "envbuild.build" },
    { label: "$(play) Up", command: "envbuild.up" },
    { label: "$(remote) Attach (Remote-SSH)", command: "envbuild.attach" },
    { label: "$(notebook) Open Jupyter", command: "envbuild.openJupyter" },
    { label: "$(trash) Destroy", command: "envbuild.destroy" },
  ];
  const picked = await vscode.window.showQuickPick(choices, { placeHolder: "envbuild" });
  if (picked) {
    await vscode.commands.executeCommand(picked.command);
  }
}

function report(action: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await action();
    } catch (error) {
      void vscode.window.showErrorMessage(`envbuild: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("envbuild");
  statusBar = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  statusBar.command = "envbuild.pick";
  context.subscriptions.push(
    output,
    statusBar,
    vscode.commands.registerCommand("envbuild.build", report(() => runCli("build"))),
    vscode.commands.registerCommand("envbuild.up", report(() => runCli("up"))),
    vscode.commands.registerCommand("envbuild.destroy", report(() => runCli("destroy"))),
    vscode.commands.registerCommand("envbuild.openJupyter", report(openJupyter)),
    vscode.commands.registerCommand("envbuild.attach", report(attach)),
    vscode.commands.registerCommand("envbuild.refreshStatus", report(refreshStatus)),
    vscode.commands.registerCommand("envbuild.restartServer", report(restartClient)),
    vscode.commands.registerCommand("envbuild.pick", report(pickCommand)),
    vscode.tasks.onDidEndTaskProcess((event) => {
      if (event.execution.task.definition.type === "envbuild") {
        void refreshStatus();
      }
    }),
    vscode.window.onDidChangeActiveTextEditor(() => void refreshStatus()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("envbuild.path") || event.affectsConfiguration("envbuild.lsp")) {
        void restartClient();
      }
      if (event.affectsConfiguration("envbuild")) {
        scheduleRefresh();
      }
    }),
    { dispose: () => refreshTimer !== undefined && clearInterval(refreshTimer) },
  );
  await startClient();
  scheduleRefresh();
  void refreshStatus();
}

export async function deactivate(): Promise<void> {
  if (client !== undefined) {
    await client.stop();
  }
}
