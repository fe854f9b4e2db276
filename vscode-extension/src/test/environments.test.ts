import assert from "node:assert/strict";
import { test } from "node:test";
import { environmentFor, errorText, parseEnvironments, statusText } from "../environments";

// the shape of `envbuild envs ls --format json` (Environment.to_dict in src/envbuild/runtime/containers.py)
const LISTED = JSON.stringify([
  {
    name: "proj",
    container_id: "0123456789ab",
    status: "running",
    image: "proj:dev",
    project_dir: "/work/proj",
    workdir: "/home/envd/proj",
    ssh: "proj.envd",
    ssh_port: 40022,
    ports: { ssh: 40022, jupyter: 48888 },
    jupyter: "http://127.0.0.1:48888",
    commands: [],
    created: "2026-12-01T12:00:00Z",
  },
  { name: "other", status: "exited", project_dir: "/work/other", ssh: null, jupyter: null },
  { name: "proj-old", status: "exited", project_dir: "/work/proj/", ssh: null, jupyter: null },
]);

test("the JSON rows are read, malformed rows are skipped", () => {
  const envs = parseEnvironments(LISTED.slice(0, -1) + ', {"name": 3}, "x"]');
  assert.deepEqual(
    envs.map((env) => env.name),
    ["proj", "other", "proj-old"],
  );
});

test("output that is not a JSON list is an error that says so", () => {
  assert.throws(() => parseEnvironments("error: cannot connect to Docker"), /printed no JSON: error: cannot connect/);
  assert.throws(() => parseEnvironments("{}"), /did not print a JSON list/);
  assert.throws(() => parseEnvironments(""), /\(nothing\)/);
});

test("the project's environment is found by its directory, the running one first", () => {
  const envs = parseEnvironments(LISTED);
  assert.equal(environmentFor(envs, "/work/proj")?.name, "proj");
  assert.equal(environmentFor(envs, "/work/proj/")?.name, "proj");
  assert.equal(environmentFor(envs, "/work/other")?.name, "other");
  assert.equal(environmentFor(envs, "/work/none"), undefined);
});

test("the status bar names the environment and its state", () => {
  const [running, exited] = parseEnvironments(LISTED);
  assert.deepEqual(statusText(running, "/work/proj"), {
    text: "$(vm-running) proj: running",
    tooltip: "proj is running\nssh proj.envd\nJupyter http://127.0.0.1:48888",
  });
  assert.equal(statusText(exited, "/work/other").text, "$(vm) other: exited");
  assert.equal(statusText(undefined, "/work/new-project").text, "$(vm-outline) new-project: no environment");
  assert.equal(errorText("docker is down").tooltip, "docker is down");
});
