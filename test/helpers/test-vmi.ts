// VMIs for tests that boot the test guest straight from its kernel and initrd (kernel boot), the
// artifacts where virt-handler mounts a kernel-boot container's files. JSON is YAML, so the object
// can be written to a file for `vmpod run --vmi` or sent as vmiJson.

export interface KernelBootVmiOptions {
  readonly name: string;
  readonly namespace?: string;
  readonly uid: string;
  /** Default: one bridge-bound `default` interface. */
  readonly interfaces?: readonly Record<string, unknown>[];
  /** Default: `default` on the pod network. */
  readonly networks?: readonly Record<string, unknown>[];
  /** Appended to `console=ttyS0`. */
  readonly kernelArgs?: string;
  readonly terminationGracePeriodSeconds?: number;
  /** What virt-handler's informer object carries (e.g. `{ phase: 'Scheduled' }`). */
  readonly status?: Record<string, unknown>;
}

export function kernelBootVmi(o: KernelBootVmiOptions): Record<string, unknown> {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: o.name, namespace: o.namespace ?? 'default', uid: o.uid },
    spec: {
      ...(o.terminationGracePeriodSeconds !== undefined
        ? { terminationGracePeriodSeconds: o.terminationGracePeriodSeconds }
        : {}),
      domain: {
        resources: { requests: { memory: '256Mi' } },
        firmware: {
          kernelBoot: {
            kernelArgs: `console=ttyS0 ${o.kernelArgs ?? ''}`.trim(),
            container: {
              image: 'vmpod/test-guest',
              kernelPath: '/boot/vmlinuz',
              initrdPath: '/boot/initrd.img',
            },
          },
        },
        devices: { interfaces: o.interfaces ?? [{ name: 'default', bridge: {} }] },
      },
      networks: o.networks ?? [{ name: 'default', pod: {} }],
    },
    ...(o.status ? { status: o.status } : {}),
  };
}

/** Where virt-handler mounts a kernel-boot container's files. */
export const KERNEL_BOOT_DIR = '/run/kubevirt/container-disks/kernel-boot';

/** `cmd` as the pod's command, after copying the guest's kernel and initrd to KERNEL_BOOT_DIR. */
export function withKernelBoot(guest: { kernel: string; initrd: string }, cmd: readonly string[]): string[] {
  return [
    'sh',
    '-c',
    `mkdir -p ${KERNEL_BOOT_DIR} && cp "$0" "$1" ${KERNEL_BOOT_DIR}/ && shift && exec "$@"`,
    guest.kernel,
    guest.initrd,
    ...cmd,
  ];
}
