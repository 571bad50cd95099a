/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and prints where the time went: the top functions by self time,
 * and proxycast's own functions (dist/src) by inclusive time. Usage:
 *   node dist/bench/profile-summary.js <file.cpuprofile> [top=25] [filter=dist/src/]
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg, filterArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-summary <file.cpuprofile> [top] [filter]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const filter = filterArg ?? 'dist/src/';
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const label = (node: ProfileNode) => {
  const url = node.callFrame.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
  return `${node.callFrame.functionName || '(anonymous)'} ${url}:${node.callFrame.lineNumber + 1}`;
};

const selfMs = new Map<string, number>();
const inclusiveMs = new Map<string, number>();
let totalMs = 0;
profile.samples.forEach((sampleId, index) => {
  const delta = (profile.timeDeltas[index] ?? 0) / 1000;
  totalMs += delta;
  const node = byId.get(sampleId);
  if (!node) return;
  selfMs.set(label(node), (selfMs.get(label(node)) ?? 0) + delta);
  // Inclusive: every distinct frame on the stack once.
  const seen = new Set<string>();
  for (let current: ProfileNode | undefined = node; current; current = byId.get(parent.get(current.id) ?? -1)) {
    const name = label(current);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusiveMs.set(name, (inclusiveMs.get(name) ?? 0) + delta);
  }
});

process.stdout.on("error", () => process.exit(0)); // piped into head
const print = (title: string, entries: Array<[string, number]>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, ms] of entries) process.stdout.write(`${ms.toFixed(0).padStart(8)} ms ${((ms / totalMs) * 100).toFixed(1).padStart(5)} %  ${name}\n`);
};
/** Which part of the process a frame belongs to: our code, a package, Node's own JS, or V8/native. */
function area(node: ProfileNode): string {
  const url = node.callFrame.url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `node_modules/${pkg[1]}`;
  if (url.includes('/dist/src/')) return 'proxycast (dist/src)';
  if (url.includes('/dist/bench/')) return 'bench (dist/bench)';
  if (url.startsWith('node:')) return 'node internals';
  return node.callFrame.functionName.startsWith('(') ? node.callFrame.functionName : `native: ${node.callFrame.functionName}`;
}
const byArea = new Map<string, number>();
profile.samples.forEach((sampleId, index) => {
  const node = byId.get(sampleId);
  if (node) byArea.set(area(node), (byArea.get(area(node)) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
});
process.stdout.write(`profile: ${totalMs.toFixed(0)} ms sampled\n`);
print('self time by area', [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 15));
// Entry points: the frames right under (root), i.e. what woke the event loop up.
const roots = new Map<string, number>();
profile.samples.forEach((sampleId, index) => {
  let current = byId.get(sampleId);
  let below: ProfileNode | undefined;
  while (current && parent.has(current.id)) {
    below = current;
    current = byId.get(parent.get(current.id)!);
  }
  const name = below ? label(below) : current ? label(current) : '?';
  roots.set(name, (roots.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
});
print('entry points (under root)', [...roots].sort((a, b) => b[1] - a[1]).slice(0, 12));
print(`top ${top} by self time`, [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, top));
print(`top ${top} under ${filter} by self time`, [...selfMs].filter(([name]) => name.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top));
print(`top ${top} under ${filter} by inclusive time`, [...inclusiveMs].filter(([name]) => name.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top));

// PROFILE_CALLERS=name1,name2: the heaviest call paths (5 frames up) into each named function.
for (const wanted of (process.env.PROFILE_CALLERS ?? '').split(',').filter(Boolean)) {
  const paths = new Map<string, number>();
  profile.samples.forEach((sampleId, index) => {
    const delta = (profile.timeDeltas[index] ?? 0) / 1000;
    const stack: string[] = [];
    for (let current = byId.get(sampleId); current; current = byId.get(parent.get(current.id) ?? -1)) stack.push(label(current));
    const at = stack.findIndex((name) => name.startsWith(`${wanted} `));
    if (at === -1) return;
    const key = stack.slice(at, at + Number(process.env.PROFILE_DEPTH ?? 6)).join('\n      <- ');
    paths.set(key, (paths.get(key) ?? 0) + delta);
  });
  print(`call paths into ${wanted}`, [...paths].sort((a, b) => b[1] - a[1]).slice(0, 5));
}
