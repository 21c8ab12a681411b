import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFINITION, mermaid, readmeDiagram } from '../scripts/diagram.ts';

describe('the README state machine diagram', () => {
  it('is the diagram of the definition that runs (run `npm run diagram` after editing the ASL)', () => {
    // Act
    const inReadme = readmeDiagram();
    // Assess
    expect(inReadme).toBe(mermaid());
  });

  it('draws every state of the definition, nested ones included', () => {
    // Prepare
    const names = [...readFileSync(DEFINITION, 'utf8').matchAll(/"([A-Za-z0-9]+)": \{\s*"Type"/g)].map(
      (m) => m[1],
    );
    // Act
    const diagram = mermaid();
    // Assess
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(diagram).toMatch(new RegExp(`\\b${name}\\b`));
  });
});
