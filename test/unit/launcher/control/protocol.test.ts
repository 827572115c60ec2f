import { describe, expect, it } from 'vitest';
import { errorCode } from '../../../../src/errors.js';
import {
  MAX_REQUEST_BYTES,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
} from '../../../../src/launcher/control/protocol.js';

describe('control socket codec', () => {
  it('round-trips every request as one line', () => {
    for (const req of [
      { v: 1, cmd: 'status' },
      { v: 1, cmd: 'net' },
      { v: 1, cmd: 'events' },
      { v: 1, cmd: 'logs' },
      { v: 1, cmd: 'log-level', level: 'debug' },
    ] as const) {
      const line = encodeRequest(req);
      expect(line.endsWith('\n')).toBe(true);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(decodeRequest(line.trimEnd())).toEqual(req);
    }
  });

  it('drops fields a request does not have', () => {
    expect(decodeRequest('{"v":1,"cmd":"status","level":"x","extra":1}')).toEqual({ v: 1, cmd: 'status' });
  });

  it.each([
    ['not JSON', '{"v":1', 'CONTROL_BAD_REQUEST'],
    ['an array', '[1]', 'CONTROL_BAD_REQUEST'],
    ['null', 'null', 'CONTROL_BAD_REQUEST'],
    ['no version', '{"cmd":"status"}', 'CONTROL_BAD_VERSION'],
    ['another version', '{"v":2,"cmd":"status"}', 'CONTROL_BAD_VERSION'],
    ['an unknown command', '{"v":1,"cmd":"reboot"}', 'CONTROL_UNKNOWN_COMMAND'],
    ['a command that is not a string', '{"v":1,"cmd":7}', 'CONTROL_UNKNOWN_COMMAND'],
    ['log-level without a level', '{"v":1,"cmd":"log-level"}', 'CONTROL_BAD_REQUEST'],
    [
      'log-level with a long level',
      `{"v":1,"cmd":"log-level","level":"${'x'.repeat(40)}"}`,
      'CONTROL_BAD_REQUEST',
    ],
    [
      'too long',
      `{"v":1,"cmd":"status","pad":"${'x'.repeat(MAX_REQUEST_BYTES)}"}`,
      'CONTROL_REQUEST_TOO_LARGE',
    ],
  ])('refuses a request that is %s with a typed error', (_what, line, code) => {
    let err: unknown;
    try {
      decodeRequest(line);
    } catch (e) {
      err = e;
    }
    expect(errorCode(err)).toBe(code);
  });

  it('decodes results and errors, and refuses other shapes', () => {
    expect(decodeResponse(encodeResponse({ ok: true, result: { a: 1 } }))).toEqual({
      ok: true,
      result: { a: 1 },
    });
    const e = { ok: false, error: { code: 'CONTROL_BAD_LEVEL', message: 'no' } } as const;
    expect(decodeResponse(encodeResponse(e))).toEqual(e);
    for (const bad of ['', 'x', '1', '{"ok":true}', '{"ok":false,"error":{"code":1}}']) {
      expect(() => decodeResponse(bad)).toThrow(expect.objectContaining({ code: 'CONTROL_BAD_RESPONSE' }));
    }
  });
});
