// `npm run diagrams`: rewrites ARCHITECTURE.md's generated section (between the
// `<!-- machines:begin -->` and `<!-- machines:end -->` markers) with a mermaid diagram of
// every machine, drawn from the built definitions. `--check` only says whether it is current
// (exit 1 when not); test/unit/machineGraph.test.ts fails on a stale section too.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagramsSection, replaceDiagramsSection } from '../dist/introspection/machineGraph.js';

const file = join(fileURLToPath(new URL('..', import.meta.url)), 'ARCHITECTURE.md');
const current = readFileSync(file, 'utf8');
const wanted = replaceDiagramsSection(current, diagramsSection());

if (process.argv.includes('--check')) {
  if (current !== wanted) {
    console.error('ARCHITECTURE.md: the machine diagrams are out of date; run `npm run diagrams`');
    process.exit(1);
  }
  console.log('ARCHITECTURE.md: the machine diagrams are current');
} else if (current === wanted) {
  console.log('ARCHITECTURE.md: the machine diagrams are current');
} else {
  writeFileSync(file, wanted);
  console.log('ARCHITECTURE.md: machine diagrams rewritten');
}
