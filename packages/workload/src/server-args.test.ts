import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerArgs } from './server-args.ts';

test('parseServerArgs: accepted forms', () => {
  const cases: [string[], object][] = [
    [['--pod', 'default/web-0', '--node', 'node-1', '--tcp', '80,81'], { pod: 'default/web-0', node: 'node-1', tcp: [80, 81], udp: [], host: '0.0.0.0' }],
    [['--pod=a/b', '--node=n', '--udp=53'], { pod: 'a/b', node: 'n', tcp: [], udp: [53], host: '0.0.0.0' }],
    [['--pod', 'a/b', '--node', 'n', '--tcp', '80', '--tcp', '8080', '--udp', '53', '--host', '127.0.0.1'], { pod: 'a/b', node: 'n', tcp: [80, 8080], udp: [53], host: '127.0.0.1' }],
    [['--pod', 'a/b', '--node', 'n', '--tcp', '0,0'], { pod: 'a/b', node: 'n', tcp: [0, 0], udp: [], host: '0.0.0.0' }],
  ];
  for (const [argv, want] of cases) {
    assert.deepEqual(parseServerArgs(argv), { ok: true, value: want }, argv.join(' '));
  }
});

test('parseServerArgs: every problem is listed', () => {
  const cases: [string[], string[]][] = [
    [[], ['--pod NS/NAME is required', '--node NODE is required', 'give at least one --tcp or --udp port']],
    [['--pod', 'nope', '--node', 'n', '--tcp', '80'], ['--pod: "nope" is not NAMESPACE/NAME']],
    [['--pod', 'a/b', '--node', 'n', '--tcp', '80,x,70000'], ['--tcp: "x" is not a port (expected an integer 0..65535)', '--tcp: "70000" is not a port (expected an integer 0..65535)']],
    [['--pod', 'a/b', '--node', 'n', '--tcp', '80,80'], ['--tcp: port 80 is listed twice']],
    [['--pod', 'a/b', '--node', 'n', '--udp'], ['--udp needs a value', 'give at least one --tcp or --udp port']],
    [['--pod', 'a/b', '--node', 'n', '--tcp', '80', '--verbose'], ['unknown argument "--verbose"']],
    [['--pod', 'a/b', '--pod', 'c/d', '--node', 'n', '--tcp', '80'], ['--pod given 2 times']],
  ];
  for (const [argv, problems] of cases) {
    assert.deepEqual(parseServerArgs(argv), { ok: false, problems }, argv.join(' '));
  }
});
