import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { COMMANDS, ENVS_LIST_ARGS, cliArgs, projectDirFor, remoteFolderUri } from "../commands";

const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));

test("package.json contributes exactly the commands the extension registers", () => {
  const contributed = manifest.contributes.commands.map((entry: { command: string }) => entry.command);
  assert.deepEqual([...contributed].sort(), [...COMMANDS].sort());
});

test("each command runs the CLI on the project directory; up stays detached", () => {
  assert.deepEqual(cliArgs("build", "/work/proj"), ["build", "--path", "/work/proj"]);
  assert.deepEqual(cliArgs("up", "/work/proj"), ["up", "--path", "/work/proj", "--detach"]);
  assert.deepEqual(cliArgs("destroy", "/work/proj"), ["destroy", "--path", "/work/proj"]);
  assert.deepEqual(ENVS_LIST_ARGS, ["envs", "ls", "--format", "json"]);
});

test("the project is the open build file's directory, else the first workspace folder", () => {
  assert.equal(projectDirFor("/work/proj/gpu/build.envd", ["/work/proj"]), "/work/proj/gpu");
  assert.equal(projectDirFor("/work/proj/README.md", ["/work/proj", "/work/b"]), "/work/proj");
  assert.equal(projectDirFor(undefined, []), undefined);
});

test("Attach opens the project folder inside <env>.envd through Remote-SSH", () => {
  const env = { name: "proj", status: "running", project_dir: "/work/proj", ssh: "proj.envd", workdir: "/home/envd/proj" };
  assert.equal(remoteFolderUri(env), "vscode-remote://ssh-remote+proj.envd/home/envd/proj");
  assert.equal(
    remoteFolderUri({ name: "x", status: "running", project_dir: "/p", ssh: null }),
    "vscode-remote://ssh-remote+x.envd/home/envd/x",
  );
});
