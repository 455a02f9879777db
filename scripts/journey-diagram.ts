/** Writes the journey chart's Mermaid diagram into docs/journey.md between its markers (npm run docs:journey). */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withDiagram } from '../main/journey/journey-diagram';

const doc = fileURLToPath(new URL('../docs/journey.md', import.meta.url));
const before = readFileSync(doc, 'utf8');
const after = withDiagram(before);
if (after !== before) writeFileSync(doc, after);
console.log(after !== before ? 'docs/journey.md: diagram updated' : 'docs/journey.md: diagram already current');
