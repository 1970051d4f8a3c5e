// Upstream documentation examples (Istio, Kubernetes, Gateway API, Calico), typed unchanged into
// test/conformance/yaml/, must parse with zero problems: Ambit accepts the YAML users copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '@ambit/core';
import { parseResources } from './parse.ts';
import type { Resource } from './resource.ts';
import { toYaml } from './to-yaml.ts';

const withoutSource = (list: Resource[]): unknown[] => list.map(({ source: _source, ...rest }) => rest);

const dir = join(import.meta.dirname, '..', '..', '..', 'test', 'conformance', 'yaml');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

test('conformance fixtures exist', () => {
  assert.ok(files.length > 0);
});

for (const name of files) {
  test(`conformance: ${name} parses with zero problems`, () => {
    const text = readFileSync(join(dir, name), 'utf8');
    const { resources, problems } = parseResources([{ path: name, text }]);
    assert.deepEqual(problems.map(formatProblem), []);
    const documents = text.split(/^---$/m).filter((d) => /^kind:/m.test(d)).length;
    assert.equal(resources.length, documents);
  });
}

for (const name of files) {
  test(`conformance: ${name} survives toYaml and parseResources unchanged`, () => {
    const first = parseResources([{ path: name, text: readFileSync(join(dir, name), 'utf8') }]);
    const again = parseResources([{ path: 'again.yaml', text: toYaml(first.resources) }]);
    assert.deepEqual(again.problems.map(formatProblem), []);
    assert.deepEqual(withoutSource(again.resources), withoutSource(first.resources));
  });
}
