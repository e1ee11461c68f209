import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderConfigDocs } from '../src/config/docs.ts';
import { configJsonSchema } from '../src/config/schema.ts';

test('docs/configuration.md is what the schema renders (regenerate: node --import tsx scripts/gen-config-docs.ts)', () => {
  const committed = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(committed, renderConfigDocs());
});

test('every key of the schema has a row, and every key with a default shows it', () => {
  const docs = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  const walk = (schema: any, prefix: string): void => {
    for (const [key, child] of Object.entries<any>(schema.properties ?? {})) {
      const path = `${prefix}${key}`;
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${path}\` |`));
      assert.ok(row, `no row for ${path}`);
      if (child.default !== undefined && (typeof child.default !== 'object' || Array.isArray(child.default))) assert.ok(row.includes(JSON.stringify(child.default)), `default of ${path}`);
      if (child.properties) walk(child, `${path}.`);
      if (child.type === 'array' && child.items?.properties) walk(child.items, `${path}[].`);
    }
  };
  for (const [section, child] of Object.entries<any>((configJsonSchema() as any).properties)) {
    assert.ok(docs.includes(`## \`${section}\``), `no section for ${section}`);
    if (child.properties) walk(child, `${section}.`);
    if (child.type === 'array' && child.items?.properties) walk(child.items, `${section}[].`);
  }
});
