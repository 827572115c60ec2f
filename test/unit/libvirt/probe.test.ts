import { describe, expect, it } from 'vitest';
import { connectOpenPacket } from '../../../src/libvirt/probe.js';

describe('the readiness probe packet', () => {
  it('is a REMOTE_PROC_CONNECT_OPEN call, byte for byte', () => {
    const golden = [
      '00000038', // length: 56 bytes including this word
      '20008086', // program: REMOTE_PROGRAM
      '00000001', // version: 1
      '00000001', // procedure: REMOTE_PROC_CONNECT_OPEN
      '00000000', // type: CALL
      '00000007', // serial: 7
      '00000000', // status: OK
      '00000001', // name: present (remote_string is optional)
      '0000000e', // name length: 14
      '71656d753a2f2f2f73797374656d0000', // "qemu:///system" + 2 bytes of padding
      '00000000', // flags: 0
    ].join('');
    expect(connectOpenPacket('qemu:///system', 7).toString('hex')).toBe(golden);
  });
});
