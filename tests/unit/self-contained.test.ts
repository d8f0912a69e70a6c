import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// A user's clone has nothing beside it: every path the code, tests, scripts or docs name must stay
// inside the repository. This reads every file a clone would have (tracked, or new and not ignored)
// and resolves each relative path that climbs with `../` from the folder of the file that names it.
const root = path.resolve(import.meta.dirname, '../..');
const self = path.relative(root, import.meta.filename);
const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((file) => file && file !== self && existsSync(path.join(root, file)) && !/(^|\/)package-lock\.json$|\.(png|jpe?g|ico|woff2?)$/.test(file));

/** Relative paths that start by climbing: `../x`, `../../x/y`. */
const climbing = /(?<![\w./-])((?:\.\.\/)+)([\w@.-]+(?:\/[\w@.-]+)*)/g;

/** The places in `text` (a file at `file`) whose relative paths leave the repository. */
export function pathsOutside(file: string, text: string): string[] {
  // codegen resolves a mapper's module from the file it writes, subgraphs/<name>/generated/resolvers.ts.
  const from = file === 'codegen.ts' ? 'subgraphs/name/generated' : path.dirname(file);
  const found: string[] = [];
  for (const match of text.matchAll(climbing)) {
    const target = path.resolve(root, from, match[1]! + match[2]!);
    if (path.relative(root, target).startsWith('..')) found.push(`${file}: ${match[0]}`);
  }
  return found;
}

describe('the repository', () => {
  it('is tracked by git, as a clone is', () => {
    expect(tracked.length).toBeGreaterThan(100);
  });

  it('names no folder outside itself, in code, tests, scripts or docs', () => {
    const outside = tracked.flatMap((file) => pathsOutside(file, readFileSync(path.join(root, file), 'utf8')));
    expect(outside).toEqual([]);
  });

  it('names no workshop folder, wherever it is resolved from', () => {
    const workshop = /\bshared\/(tmf635|reference|STYLE\.md)\b/;
    const naming = tracked.filter((file) => workshop.test(readFileSync(path.join(root, file), 'utf8')));
    expect(naming).toEqual([]);
  });

  it('is caught when it climbs out (the check itself can fail)', () => {
    expect(pathsOutside('rest-adapter/spec/load.ts', "path.resolve(projectRoot, '../../../elsewhere/tmf635')")).toHaveLength(1);
    expect(pathsOutside('README.md', 'shapes in `../notes/uts.md`')).toHaveLength(1);
    expect(pathsOutside('subgraphs/party/context.ts', "import { byIdLoader } from '../shared/loaders.js';")).toEqual([]);
  });
});
