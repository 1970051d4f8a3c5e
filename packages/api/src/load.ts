// Reading resource files from disk: files as given, directories as their *.yaml, *.yml and
// *.json files in name order (not recursive). I/O failures become problems, never throws.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '@ambit/core';
import type { Problem } from '@ambit/core';
import { NO_FILES, READ_FAILED } from './codes.ts';
import { parseResources } from './parse.ts';
import type { ParseResult } from './parse.ts';
import type { SourceFile } from './types.ts';

const EXTENSIONS = ['.yaml', '.yml', '.json'];

export async function loadResourceFiles(paths: string[]): Promise<ParseResult> {
  const files: SourceFile[] = [];
  const problems: Problem[] = [];
  const fail = (file: string, message: string, code = READ_FAILED, severity: Problem['severity'] = 'error'): void => {
    problems.push({ file, line: 0, col: 0, path: '', message, code, severity });
  };
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      fail(path, `cannot read: ${describeIoError(err)}`);
      continue;
    }
    const names: string[] = [];
    if (isDir) {
      try {
        const entries = await readdir(path, { withFileTypes: true });
        for (const e of entries) {
          if (e.isFile() && EXTENSIONS.some((x) => e.name.endsWith(x))) names.push(join(path, e.name));
        }
      } catch (err) {
        fail(path, `cannot list directory: ${describeIoError(err)}`);
        continue;
      }
      names.sort();
      if (names.length === 0) fail(path, `directory has no ${EXTENSIONS.map((x) => `*${x}`).join(', ')} files`, NO_FILES, 'warning');
    } else {
      names.push(path);
    }
    for (const name of names) {
      try {
        files.push({ path: name, text: await readFile(name, 'utf8') });
      } catch (err) {
        fail(name, `cannot read: ${describeIoError(err)}`);
      }
    }
  }
  const parsed = parseResources(files);
  return { resources: parsed.resources, problems: [...problems, ...parsed.problems] };
}

function describeIoError(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return errorMessage(err);
}
