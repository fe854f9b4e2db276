import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULTS, nonNegative, resolveExecutable, serverCommand } from "../settings";

test("a bare name is left for PATH lookup, an empty setting means envbuild", () => {
  assert.equal(resolveExecutable("envbuild", "/work/proj"), "envbuild");
  assert.equal(resolveExecutable("", "/work/proj"), "envbuild");
  assert.equal(resolveExecutable(undefined, undefined), DEFAULTS.executable);
});

test("a relative path is taken from the workspace folder, an absolute one as it is", () => {
  assert.equal(resolveExecutable(".venv/bin/envbuild", "/work/proj"), "/work/proj/.venv/bin/envbuild");
  assert.equal(resolveExecutable("/opt/envbuild/bin/envbuild", "/work/proj"), "/opt/envbuild/bin/envbuild");
  assert.equal(resolveExecutable(".venv/bin/envbuild", undefined), ".venv/bin/envbuild");
});

test("~ is the user's home", () => {
  const home = process.env.HOME;
  process.env.HOME = "/home/me";
  try {
    assert.equal(resolveExecutable("~/.local/bin/envbuild", "/work/proj"), "/home/me/.local/bin/envbuild");
  } finally {
    process.env.HOME = home;
  }
});

test("the server is `<envbuild> lsp`, with no transport for the client to add `--stdio` for", () => {
  assert.deepEqual(serverCommand("/x/envbuild"), { command: "/x/envbuild", args: ["lsp"] });
});

test("numbers from settings.json stay finite and not negative", () => {
  assert.equal(nonNegative(250, 150), 250);
  assert.equal(nonNegative(0, 150), 0);
  assert.equal(nonNegative(-1, 150), 150);
  assert.equal(nonNegative("fast", 150), 150);
  assert.equal(nonNegative(Number.NaN, 10), 10);
});
