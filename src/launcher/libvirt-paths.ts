// Where libvirt lives inside the pod, per mode and per daemon flavour (KUBEVIRT.md §2.3.3). Pure.

export type DaemonFlavour = 'virtqemud' | 'libvirtd';

export interface LibvirtLayout {
  readonly flavour: DaemonFlavour;
  readonly daemonBinary: string;
  readonly daemonConf: string;
  readonly socket: string;
  readonly uri: string;
  readonly qemuConf: string;
  readonly virtlogdBinary: string;
  readonly virtlogdConf: string;
  readonly pidDir: string;
  readonly qemuLogDir: string;
  readonly nvramDir: string;
}

export interface LayoutInputs {
  readonly nonRoot: boolean;
  /** Debian 12 ships only libvirtd; KubeVirt's image ships virtqemud. */
  readonly hasVirtqemud: boolean;
  readonly sbin?: string;
}

export function libvirtLayout(inputs: LayoutInputs): LibvirtLayout {
  const sbin = inputs.sbin ?? '/usr/sbin';
  const flavour: DaemonFlavour = inputs.hasVirtqemud ? 'virtqemud' : 'libvirtd';
  return {
    flavour,
    daemonBinary: `${sbin}/${flavour}`,
    daemonConf: `/var/run/libvirt/${flavour}.conf`,
    socket: flavour === 'virtqemud' ? '/var/run/libvirt/virtqemud-sock' : '/var/run/libvirt/libvirt-sock',
    uri: inputs.nonRoot ? 'qemu:///session' : 'qemu:///system',
    qemuConf: inputs.nonRoot ? '/var/run/kubevirt-private/libvirt/qemu.conf' : '/etc/libvirt/qemu.conf',
    virtlogdBinary: `${sbin}/virtlogd`,
    virtlogdConf: '/etc/libvirt/virtlogd.conf',
    pidDir: inputs.nonRoot ? '/run/libvirt/qemu/run' : '/run/libvirt/qemu',
    qemuLogDir: inputs.nonRoot ? '/var/run/kubevirt-private/libvirt/qemu/log' : '/var/log/libvirt/qemu',
    nvramDir: inputs.nonRoot ? '/var/run/kubevirt-private/libvirt/qemu/nvram' : '/var/lib/libvirt/qemu/nvram',
  };
}
