import { constants, accessSync, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

// Is KVM usable here? Asked by trying it, not by looking at /dev/kvm (TESTBED.md): a node can have
// a /dev/kvm that answers KVM_GET_API_VERSION and still fail every real guest (nested
// virtualisation that rejects the host CPU's MSRs). The trial runs the qemu that libvirt will run,
// with KVM and the host CPU model, on a 64 KiB firmware whose reset vector writes one byte to an
// isa-debug-exit port: qemu then exits with (byte << 1) | 1. Any other end (an assertion, an
// error, a hang past the deadline) means KVM cannot run this pod's guest. It costs one short qemu
// run (about 50 ms), once per launcher.

export type KvmProbeResult =
  | { readonly usable: true; readonly ms: number }
  | { readonly usable: false; readonly reason: string; readonly ms: number };

const PROBE_BYTE = 0x31;
const EXPECTED_EXIT = (PROBE_BYTE << 1) | 1;
const RESET_VECTOR = 0xfff0;
const FIRMWARE_SIZE = 0x10000;
const DEADLINE_MS = 5000;

/** The emulators libvirt would run, in the order KubeVirt's image and Debian place them. */
export const QEMU_BINARIES = ['/usr/libexec/qemu-kvm', '/usr/bin/qemu-system-x86_64'];

/** A real-mode firmware: `mov al, 0x31; out 0xf4, al; hlt; jmp $-1` at the reset vector. */
export function probeFirmware(): Uint8Array {
  const fw = new Uint8Array(FIRMWARE_SIZE).fill(0xf4);
  fw.set([0xb0, PROBE_BYTE, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd], RESET_VECTOR);
  return fw;
}

export async function probeKvm(
  opts: { device?: string; qemu?: string; accel?: 'kvm' | 'tcg' } = {},
): Promise<KvmProbeResult> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const device = opts.device ?? '/dev/kvm';
  const accel = opts.accel ?? 'kvm';
  if (accel === 'kvm') {
    try {
      accessSync(device, constants.R_OK | constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return { usable: false, reason: `${device}: ${code}`, ms: ms() };
    }
  }
  if (process.arch !== 'x64') {
    return { usable: false, reason: `the KVM trial knows only x86-64 guests, not ${process.arch}`, ms: ms() };
  }
  const qemu = opts.qemu ?? QEMU_BINARIES.find((p) => existsSync(p));
  if (!qemu) return { usable: false, reason: `no qemu binary (${QEMU_BINARIES.join(', ')})`, ms: ms() };
  const dir = await mkdtemp(join(tmpdir(), 'vmpod-kvm-probe-'));
  try {
    const firmware = join(dir, 'probe.bin');
    await writeFile(firmware, probeFirmware(), { mode: 0o644 });
    const args = [
      '-accel',
      accel,
      ...(accel === 'kvm' ? ['-cpu', 'host'] : []),
      '-machine',
      'pc',
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-serial',
      'none',
      '-monitor',
      'none',
      '-m',
      '16',
      '-bios',
      firmware,
      '-device',
      'isa-debug-exit,iobase=0xf4,iosize=0x01',
    ];
    const r = await execa(qemu, args, { reject: false, timeout: DEADLINE_MS, stdin: 'ignore', all: true });
    if (r.exitCode === EXPECTED_EXIT) return { usable: true, ms: ms() };
    const said = lastLine(r.all ?? '');
    const how = r.timedOut
      ? `no answer within ${DEADLINE_MS} ms`
      : r.signal
        ? `killed by ${r.signal}`
        : `exit code ${r.exitCode}`;
    return { usable: false, reason: `${qemu} -accel ${accel}: ${how}${said ? `: ${said}` : ''}`, ms: ms() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.includes('warning:'));
  return lines.at(-1) ?? '';
}
