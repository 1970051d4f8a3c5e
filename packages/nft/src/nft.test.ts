import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeNftError } from './nft.ts';

describe('describeNftError', () => {
  const script = 'table inet x {\n  chain y {\n    foo bar\n  }\n}\n';
  it("names nft's message and the offending line of the script", () => {
    const stderr = '/dev/stdin:3:5-7: Error: No symbol type information\n    foo bar\n    ^^^\n';
    assert.equal(describeNftError(script, stderr), 'line 3, column 5: Error: No symbol type information: `foo bar`');
  });
  it('falls back to the whole message when it names no line', () => {
    assert.equal(describeNftError(script, 'Error: Operation not permitted\n'), 'Error: Operation not permitted');
    assert.equal(describeNftError(script, ''), 'nft failed without a message');
  });
});
