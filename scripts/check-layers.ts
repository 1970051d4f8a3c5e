// Checks the layer table of STYLE.md: a package may depend only on packages of a lower layer,
// apps (layer 4) are imported by nobody, and source files import only declared @ambit/ packages.
import { readFileSync, readdirSync, globSync } from 'node:fs';

// core sits under everything (errors, logger, waiting); the rest follows STYLE.md's table.
const LAYER: Record<string, number> = {
  core: 0,
  'xds-types': 1, netns: 1,
  spiffe: 2, api: 2, workload: 2, 'xds-client': 2,
  authz: 3, hbone: 3, nft: 3, cni: 3,
  lab: 4, identity: 4,
  'control-plane': 5, ztunnel: 5, waypoint: 5, 'cni-agent': 5, cli: 5,
};
const APPS = new Set(['control-plane', 'ztunnel', 'waypoint', 'cni-agent', 'cli']);

const problems: string[] = [];

/** The subpaths a package offers in its `exports` map (`.`, `./test-harness`, ...). */
function exportsOf(dir: string): string[] {
  try {
    const pkg = JSON.parse(readFileSync(`packages/${dir}/package.json`, 'utf8')) as { exports?: Record<string, string> };
    return Object.keys(pkg.exports ?? {});
  } catch {
    return [];
  }
}
for (const dir of readdirSync('packages')) {
  const pkg = JSON.parse(readFileSync(`packages/${dir}/package.json`, 'utf8')) as { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const own = LAYER[dir];
  if (own === undefined) {
    problems.push(`packages/${dir}: not in the layer table of scripts/check-layers.ts`);
    continue;
  }
  const declared = Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@ambit/')).map((d) => d.slice(7));
  for (const dep of declared) {
    const layer = LAYER[dep];
    if (layer === undefined) problems.push(`${pkg.name} depends on unknown @ambit/${dep}`);
    else if (APPS.has(dep)) problems.push(`${pkg.name} depends on the app @ambit/${dep}; apps are started, never imported`);
    else if (layer >= own) problems.push(`${pkg.name} (layer ${own}) depends on @ambit/${dep} (layer ${layer}); only lower layers are allowed`);
  }
  // Tests may also use what the package declares for development only (e.g. the netns addon).
  const devDeclared = Object.keys(pkg.devDependencies ?? {}).filter((d) => d.startsWith('@ambit/')).map((d) => d.slice(7));
  for (const file of globSync(`packages/${dir}/{src,test}/**/*.ts`)) {
    const text = readFileSync(file, 'utf8');
    const allowed = file.includes('/test/') || file.endsWith('.test.ts') ? [...declared, ...devDeclared] : declared;
    for (const m of text.matchAll(/from '@ambit\/([a-z-]+)(\/[^']*)?'/g)) {
      if (m[1] !== dir && !allowed.includes(m[1] ?? '')) problems.push(`${file} imports @ambit/${m[1]} which ${pkg.name} does not declare`);
      if (m[2] && !exportsOf(m[1] ?? '').includes(`.${m[2]}`)) problems.push(`${file} deep-imports @ambit/${m[1]}${m[2]}; use the package's exports`);
    }
  }
}
if (problems.length > 0) {
  for (const p of problems) console.error(`check-layers: ${p}`);
  process.exit(1);
}
console.log(`check-layers: ${readdirSync('packages').length} packages respect the layer table`);
