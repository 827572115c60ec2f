import { describe, expect, it } from 'vitest';
import { tapIfreq } from '../../../src/network/tap-driver.js';

// The struct ifreq TUNSETIFF reads (linux/if.h, if_tun.h): 16 bytes of name, then the flags.

describe('tap ifreq', () => {
  it('names the tap and asks for a tap without packet info, exclusively; multi-queue when wanted', () => {
    const one = tapIfreq('tap0', 1);
    expect(one.length).toBe(40);
    expect(one.subarray(0, 16).toString('hex')).toBe(`74617030${'00'.repeat(12)}`);
    expect(one.readUInt16LE(16)).toBe(0x0002 | 0x1000 | 0x8000);
    expect(tapIfreq('tap0', 4).readUInt16LE(16)).toBe(0x0002 | 0x1000 | 0x8000 | 0x0100);
    expect(tapIfreq('a'.repeat(15), 1).subarray(0, 16).toString()).toBe(`${'a'.repeat(15)}\0`);
  });
});
