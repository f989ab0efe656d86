// Parses Mermaid diagrams with Mermaid's own parser (the npm `mermaid`
// package; jsdom stands in for the browser it expects). Reads a JSON list of
// diagram texts on stdin and prints a JSON list with, for each, either
// {"ok": DIAGRAM_TYPE} or {"error": MESSAGE}.
import { JSDOM } from 'jsdom';
import fs from 'node:fs';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
const results = [];
for (const text of texts) {
  try {
    const result = await mermaid.parse(text);
    results.push({ ok: result.diagramType });
  } catch (e) {
    results.push({ error: String(e?.message ?? e) });
  }
}
console.log(JSON.stringify(results));
