// Parse AsyncAPI documents with the official parser (@asyncapi/parser) and print, as one JSON
// line per file, its diagnostics: {"file", "diagnostics": [{"severity", "code", "message", "path"}]}.
// Severity as Spectral numbers it: 0 error, 1 warning, 2 information, 3 hint.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"));
  console.log(JSON.stringify({
    file,
    parsed: document !== undefined,
    diagnostics: diagnostics.map((d) => ({ severity: d.severity, code: d.code, message: d.message, path: d.path })),
  }));
}
