// `nft` inside a network namespace: load a script as one transaction, list a table.
import { AmbitError } from '@ambit/core';
import { NftErrorCode } from './errors.ts';
import { runInNetns } from './exec.ts';

const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,255}$/;

/**
 * Loads `script` with `nsenter --net=<netnsPath> nft -f -` (stdin). nft applies a file as one
 * kernel transaction: all of it or nothing. A rejected script throws AMBIT_NFT_SCRIPT_REJECTED
 * naming nft's message and the offending line of the script.
 */
export async function nftInNetns(netnsPath: string, script: string): Promise<void> {
  const result = await runInNetns(netnsPath, ['nft', '-f', '-'], script);
  if (result.status === 0) return;
  throw new AmbitError(NftErrorCode.SCRIPT_REJECTED, `nft rejected the script in ${netnsPath}: ${describeNftError(script, result.stderr)}`, {
    details: { stderr: result.stderr },
    hint: 'nothing was changed (nft applies a script all or nothing)',
  });
}

/**
 * nft's first error, with the line of the script it points at:
 * `line 3, column 3: Error: No symbol type information: \`foo bar\``. Falls back to the whole stderr.
 */
export function describeNftError(script: string, stderr: string): string {
  const match = /:(\d+):(\d+)(?:-\d+)?: (Error: .*)$/m.exec(stderr);
  if (match === null) return stderr.trim() || 'nft failed without a message';
  const lineNo = Number(match[1]);
  const line = script.split('\n')[lineNo - 1]?.trim() ?? '';
  return `line ${lineNo}, column ${match[2]}: ${match[3]}: \`${line}\``;
}

/**
 * The text of `nft list table <family> <table>` in the namespace, or undefined when the table does
 * not exist there.
 */
export async function nftListTable(netnsPath: string, family: string, table: string): Promise<string | undefined> {
  if (!FAMILIES.has(family) || !TABLE_NAME.test(table)) {
    throw new AmbitError(NftErrorCode.LIST_FAILED, `cannot list nft table "${family} ${table}": expected a family in ${[...FAMILIES].join(', ')} and a table name matching ${TABLE_NAME.source}`);
  }
  const listed = await runInNetns(netnsPath, ['nft', 'list', 'table', family, table]);
  if (listed.status === 0) return listed.stdout;
  // Listing a missing table fails; ask for the table names to tell that apart from real failures.
  const tables = await runInNetns(netnsPath, ['nft', 'list', 'tables', family]);
  if (tables.status === 0 && !tables.stdout.split('\n').some((l) => l.trim() === `table ${family} ${table}`)) return undefined;
  throw new AmbitError(NftErrorCode.LIST_FAILED, `nft list table ${family} ${table} failed in ${netnsPath}: ${(listed.stderr || tables.stderr).trim()}`);
}
