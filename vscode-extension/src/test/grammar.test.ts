// The TextMate grammar, run through VS Code's own tokenizer (vscode-textmate with the Oniguruma engine).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { before, test } from "node:test";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

const root = path.join(__dirname, "..", "..");
let grammar: textmate.IGrammar;

before(async () => {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName: string) => {
      if (scopeName !== "source.envd") {
        return null;
      }
      const file = path.join(root, "syntaxes", "envd.tmLanguage.json");
      return textmate.parseRawGrammar(readFileSync(file, "utf8"), file);
    },
  });
  const loaded = await registry.loadGrammar("source.envd");
  assert.ok(loaded, "the grammar loads");
  grammar = loaded;
});

/** Each token's text with its innermost scope, for every line of `source`. */
function tokens(source: string): Array<[string, string]> {
  let state = textmate.INITIAL;
  const out: Array<[string, string]> = [];
  for (const line of source.split("\n")) {
    const result = grammar.tokenizeLine(line, state);
    for (const token of result.tokens) {
      const text = line.slice(token.startIndex, token.endIndex);
      if (text.trim()) {
        out.push([text, token.scopes[token.scopes.length - 1]]);
      }
    }
    state = result.ruleStack;
  }
  return out;
}

function scopeOf(source: string, text: string): string | undefined {
  return tokens(source).find(([token]) => token === text)?.[1];
}

const BUILD = `# syntax=v1
load("lib.envd", "helper")
lib = include("https://github.com/org/envdlib", ref="v1")

def build(gpu = False):
    """The environment."""
    base(image="ubuntu:22.04", dev=True)
    install.python_packages(name=["numpy"])  # comment
    config.jupyter(port=8888)
    if gpu:
        install.cuda(version='12.2.0')
    helper()
    print(len([1, 2]))
`;

test("envd builtins and namespaces are scoped as library functions", () => {
  assert.equal(scopeOf(BUILD, "base"), "support.function.envd");
  assert.equal(scopeOf(BUILD, "include"), "support.function.envd");
  assert.equal(scopeOf(BUILD, "install"), "support.class.namespace.envd");
  assert.equal(scopeOf(BUILD, "python_packages"), "support.function.envd");
  assert.equal(scopeOf(BUILD, "jupyter"), "support.function.envd");
  assert.equal(scopeOf(BUILD, "len"), "support.function.builtin.envd");
});

test("definitions, keywords, arguments, literals and comments", () => {
  assert.equal(scopeOf(BUILD, "def"), "storage.type.function.envd");
  assert.equal(scopeOf(BUILD, "build"), "entity.name.function.envd");
  assert.equal(scopeOf(BUILD, "gpu"), "variable.parameter.function.envd");
  assert.equal(scopeOf(BUILD, "load"), "keyword.control.import.envd");
  assert.equal(scopeOf(BUILD, "if"), "keyword.control.flow.envd");
  assert.equal(scopeOf(BUILD, "image"), "variable.parameter.function-call.envd");
  assert.equal(scopeOf(BUILD, "True"), "constant.language.envd");
  assert.equal(scopeOf(BUILD, "8888"), "constant.numeric.decimal.envd");
  assert.equal(scopeOf("    helper()\n", "helper"), "entity.name.function.call.envd");
  assert.equal(scopeOf(BUILD, "helper"), "string.quoted.double.envd"); // the name in load("lib.envd", "helper")
  assert.equal(scopeOf(BUILD, "The environment."), "string.quoted.triple.envd");
  assert.equal(scopeOf(BUILD, "12.2.0"), "string.quoted.single.envd");
  assert.equal(scopeOf(BUILD, " comment"), "comment.line.number-sign.envd");
  assert.equal(scopeOf(BUILD, "syntax"), "keyword.other.directive.envd");
});

test("a triple-quoted string spans lines and hides what is inside", () => {
  const source = 'config.conda_channel(channel="""\nchannels:\n  - install.cuda(x)\n""")\n';
  assert.equal(scopeOf(source, "  - install.cuda(x)"), "string.quoted.triple.envd");
});
