import { createHash } from 'node:crypto';

// KubeVirt's stable firmware UUID: a version-5 (SHA-1) UUID of the VM name in the namespace
// 6a1a24a1-4061-4607-8bf4-a3963d0c5895 (CalculateLegacyUUID, pkg/virt-controller/watch/vm). A
// VMI created from a VM carries it; vmpod gives a hand-written VMI the same one, so a restart of
// the same VMI keeps its identity (cloud-init instance-id, licences).

const NAMESPACE = '6a1a24a1-4061-4607-8bf4-a3963d0c5895';

export function firmwareUuidForName(name: string): string {
  const ns = Buffer.from(NAMESPACE.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
