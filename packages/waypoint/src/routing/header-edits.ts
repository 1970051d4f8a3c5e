// Envoy header mutations (headers_to_remove, then headers_to_add with an append_action) compiled
// into one function that edits a HeaderList in place.
import type { envoy } from '@ambit/xds-types';
import type { HeaderList } from '../contracts.ts';
import { configError } from '../matchers.ts';

export type HeaderEdit = (headers: HeaderList) => void;

type Action = 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
const ACTIONS: ReadonlySet<string> = new Set<Action>(['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS']);

/**
 * Values are Envoy format strings: `%%` is a literal `%`, and `%NAME%` is a command operator. The
 * waypoint substitutes none, so a value using one is refused rather than sent verbatim.
 */
export function headerValueLiteral(value: string, where: string): string {
  const rest = value.replaceAll('%%', '');
  if (rest.includes('%')) configError(where, `command operators (%...%) are not supported, got ${JSON.stringify(value)}; write %% for a literal %`);
  return value.replaceAll('%%', '%');
}

export function compileHeaderEdits(add: envoy.HeaderValueOption[], remove: string[], where: string): HeaderEdit {
  const removals = new Set(remove.map((n) => n.toLowerCase()));
  const additions = add.map((o, i) => {
    const at = `${where}[${i}]`;
    if (!o.header || o.header.key === '') return configError(`${at}.header.key`, 'is required');
    const key = o.header.key.toLowerCase();
    if (key.startsWith(':') || key === 'host') configError(`${at}.header.key`, `must not be a pseudo-header or host, got ${JSON.stringify(o.header.key)}`);
    const action = typeof o.append_action === 'number' ? String(o.append_action) : o.append_action;
    if (!ACTIONS.has(action)) configError(`${at}.append_action`, `unknown action ${action}`);
    return { key, value: headerValueLiteral(o.header.value, `${at}.header.value`), action: action as Action };
  });
  if (removals.size === 0 && additions.length === 0) return () => {};
  return (headers) => {
    if (removals.size > 0) removeWhere(headers, (name) => removals.has(name));
    for (const { key, value, action } of additions) {
      const exists = headers.some(([n]) => n === key);
      switch (action) {
        case 'APPEND_IF_EXISTS_OR_ADD':
          headers.push([key, value]);
          break;
        case 'ADD_IF_ABSENT':
          if (!exists) headers.push([key, value]);
          break;
        case 'OVERWRITE_IF_EXISTS_OR_ADD':
          removeWhere(headers, (name) => name === key);
          headers.push([key, value]);
          break;
        case 'OVERWRITE_IF_EXISTS':
          if (exists) {
            removeWhere(headers, (name) => name === key);
            headers.push([key, value]);
          }
          break;
      }
    }
  };
}

function removeWhere(headers: HeaderList, drop: (name: string) => boolean): void {
  let w = 0;
  for (const entry of headers) if (!drop(entry[0])) headers[w++] = entry;
  headers.length = w;
}
