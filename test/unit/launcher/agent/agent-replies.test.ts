import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../../src/errors.js';
import {
  agentReturn,
  parseExecReply,
  parseExecStatusReply,
  parseFsFreezeStatusReply,
  parseFsInfoReply,
  parseGuestInfoReply,
} from '../../../../src/launcher/agent/agent-replies.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VmpodError);
    return (err as VmpodError).code;
  }
  return undefined;
}

describe('guest agent replies', () => {
  it('reads guest-info as qemu-ga 7.2 sends it', () => {
    const r = parseGuestInfoReply(
      JSON.stringify({
        return: {
          version: '7.2.22',
          supported_commands: [
            { enabled: true, name: 'guest-ping', 'success-response': true },
            { enabled: false, name: 'guest-get-devices', 'success-response': true },
          ],
        },
      }),
    );
    expect(r).toEqual({
      version: '7.2.22',
      supportedCommands: [
        { name: 'guest-ping', enabled: true },
        { name: 'guest-get-devices', enabled: false },
      ],
    });
  });

  it('reads guest-get-fsinfo with disks', () => {
    const fs = parseFsInfoReply(
      JSON.stringify({
        return: [
          {
            name: 'vda1',
            mountpoint: '/',
            type: 'ext4',
            'used-bytes': 1000,
            'total-bytes': 4000,
            disk: [{ serial: 'abc', 'bus-type': 'virtio', target: 0, unit: 0 }],
          },
          { name: 'tmpfs', mountpoint: '/run', type: 'tmpfs', disk: [] },
        ],
      }),
    );
    expect(fs).toEqual([
      {
        diskName: 'vda1',
        mountPoint: '/',
        fileSystemType: 'ext4',
        usedBytes: 1000,
        totalBytes: 4000,
        disk: [{ serial: 'abc', busType: 'virtio' }],
      },
      {
        diskName: 'tmpfs',
        mountPoint: '/run',
        fileSystemType: 'tmpfs',
        usedBytes: 0,
        totalBytes: 0,
        disk: [],
      },
    ]);
    expect(parseFsInfoReply('{"return":[]}')).toEqual([]);
  });

  it('reads the freeze status and nothing else', () => {
    expect(parseFsFreezeStatusReply('{"return":"thawed"}')).toBe('thawed');
    expect(parseFsFreezeStatusReply('{"return":"frozen"}')).toBe('frozen');
    expect(codeOf(() => parseFsFreezeStatusReply('{"return":"melting"}'))).toBe('AGENT_REPLY_MALFORMED');
  });

  it('reads guest-exec and guest-exec-status, decoding the output', () => {
    expect(parseExecReply('{"return":{"pid":317}}')).toBe(317);
    expect(
      parseExecStatusReply(
        '{"return":{"exitcode":0,"out-data":"aGVsbG8K","out-truncated":false,"exited":true}}',
      ),
    ).toEqual({ exited: true, exitCode: 0, stdOut: 'hello\n', stdErr: '' });
    expect(parseExecStatusReply('{"return":{"exitcode":3,"exited":true}}')).toMatchObject({
      exited: true,
      exitCode: 3,
      stdOut: '',
    });
    expect(parseExecStatusReply('{"return":{"exited":false}}')).toMatchObject({ exited: false });
    expect(parseExecStatusReply('{"return":{"exited":true,"signal":9}}')).toMatchObject({ exitCode: 137 });
  });

  it('turns an agent error reply into AGENT_COMMAND_ERROR', () => {
    expect(
      codeOf(() =>
        agentReturn('guest-exec-status', '{"error":{"class":"GenericError","desc":"Invalid parameter"}}'),
      ),
    ).toBe('AGENT_COMMAND_ERROR');
  });

  it.each([
    ['not JSON', 'nope{'],
    ['null reply', null],
    ['array', '[1]'],
    ['no return', '{"foo":1}'],
    ['wrong version type', '{"return":{"version":7}}'],
    ['commands not an array', '{"return":{"version":"1","supported_commands":{}}}'],
    ['command without a name', '{"return":{"version":"1","supported_commands":[{"enabled":true}]}}'],
  ])('guest-info: %s is a typed error', (_, text) => {
    expect(codeOf(() => parseGuestInfoReply(text))).toBe('AGENT_REPLY_MALFORMED');
  });

  it.each([
    ['pid missing', () => parseExecReply('{"return":{}}')],
    ['pid not integer', () => parseExecReply('{"return":{"pid":1.5}}')],
    ['exited missing', () => parseExecStatusReply('{"return":{"exitcode":0}}')],
    [
      'out-data not base64',
      () => parseExecStatusReply('{"return":{"exited":true,"exitcode":0,"out-data":"!!"}}'),
    ],
    ['fsinfo entry not an object', () => parseFsInfoReply('{"return":[1]}')],
    [
      'fsinfo used-bytes a string',
      () => parseFsInfoReply('{"return":[{"name":"a","mountpoint":"/","type":"x","used-bytes":"1"}]}'),
    ],
  ])('%s is a typed error', (_, fn) => {
    expect(codeOf(fn)).toBe('AGENT_REPLY_MALFORMED');
  });

  it('never throws anything but a VmpodError on arbitrary input', () => {
    const samples = [
      '',
      '{',
      '{"return":',
      '{"return":null}',
      '{"return":{"exited":"yes"}}',
      '"x"',
      '0',
      'true',
    ];
    for (let i = 0; i < 200; i++) {
      samples.push(JSON.stringify({ return: randomValue(3) }));
    }
    for (const s of samples) {
      for (const parse of [
        parseGuestInfoReply,
        parseFsInfoReply,
        parseFsFreezeStatusReply,
        parseExecReply,
        parseExecStatusReply,
      ]) {
        try {
          parse(s);
        } catch (err) {
          expect(err).toBeInstanceOf(VmpodError);
        }
      }
    }
  });
});

function randomValue(depth: number): unknown {
  const r = Math.random();
  if (depth === 0 || r < 0.3) return [1, 'a', true, null, -1.5, 'aGk='][Math.floor(Math.random() * 6)];
  if (r < 0.6) return Array.from({ length: Math.floor(Math.random() * 3) }, () => randomValue(depth - 1));
  const keys = [
    'version',
    'supported_commands',
    'name',
    'enabled',
    'pid',
    'exited',
    'exitcode',
    'out-data',
    'disk',
  ];
  const o: Record<string, unknown> = {};
  for (const k of keys) if (Math.random() < 0.5) o[k] = randomValue(depth - 1);
  return o;
}
