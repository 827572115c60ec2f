// Target device names as KubeVirt allocates them: `vd` for virtio, `sd` for sata/scsi/usb, then
// a…z, aa, ab… in disk order per prefix, keeping names already recorded in the VMI status.

export function targetPrefix(bus: string): 'vd' | 'sd' {
  return bus === 'virtio' ? 'vd' : 'sd';
}

/** 0 → a, 25 → z, 26 → aa, 701 → zz, 702 → aaa. */
export function suffixForIndex(index: number): string {
  let n = index;
  let out = '';
  do {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return out;
}

/** Inverse of suffixForIndex; -1 for anything that is not lower-case letters. */
export function indexForSuffix(suffix: string): number {
  if (!/^[a-z]+$/.test(suffix)) return -1;
  let n = 0;
  for (const ch of suffix) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n - 1;
}

/** Assigns a dev name per disk (by position); `recorded` maps disk name → status target. */
export function allocateTargets(
  disks: readonly { name: string; bus: string }[],
  recorded: ReadonlyMap<string, string>,
): string[] {
  const used = new Set<string>();
  const result: (string | undefined)[] = disks.map((d) => {
    const target = recorded.get(d.name);
    if (target?.startsWith(targetPrefix(d.bus)) && !used.has(target)) {
      used.add(target);
      return target;
    }
    return undefined;
  });
  return disks.map((d, i) => {
    const kept = result[i];
    if (kept !== undefined) return kept;
    const prefix = targetPrefix(d.bus);
    for (let n = 0; ; n++) {
      const name = `${prefix}${suffixForIndex(n)}`;
      if (!used.has(name)) {
        used.add(name);
        return name;
      }
    }
  });
}
