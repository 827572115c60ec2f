import { describe, expect, it } from 'vitest';
import { libvirtNoise, parseLibvirtLine } from '../../../src/log/libvirt-line.js';

// What libvirtd 9.0 printed at error/warning level during a normal start of a VM pod (taken from a
// chaos run), and lines that look alike but may matter.
const at = (severity: string, pos: string, msg: string) =>
  parseLibvirtLine(`2026-12-06 12:01:27.382+0000: 97: ${severity} : ${pos} : ${msg}`);

describe('libvirt start-up noise in a pod', () => {
  it('recognises what every start prints and says why it does not matter', () => {
    const noise = [
      at(
        'error',
        'virGDBusGetSystemBus:99',
        'internal error: Unable to get system bus connection: Could not connect: No such file or directory',
      ),
      at(
        'warning',
        'networkStateInitialize:658',
        'DBus not available, disabling firewalld support in bridge_network_driver: internal error: Unable to get system bus connection',
      ),
      at(
        'error',
        'udevGetDMIData:1936',
        "internal error: Failed to get udev device for syspath '/sys/devices/virtual/dmi/id'",
      ),
      at(
        'error',
        'virCommandWait:2725',
        'internal error: Child process (/usr/sbin/dmidecode -q -t 0,1,2,3,4,11,17) unexpected exit status 1: /dev/mem: No such file or directory',
      ),
      at('error', 'virHostCPUGetCPUID:1422', 'Unable to open /dev/kvm: No such file or directory'),
      at('error', 'virNetSocketReadWire:1793', 'End of file while reading data: Input/output error'),
      at(
        'warning',
        'qemuDomainObjTaintMsg:6603',
        "Domain id=1 name='ns_vm' uuid=01abb31e-e8d3-51f3-a8fc-ae9c528efa18 is tainted: custom-ga-command",
      ),
      at(
        'error',
        'qemuDomainGetGuestInfoCheckSupport:19783',
        "invalid argument: unsupported guest information types '0x80'",
      ),
    ];
    expect(noise.map(libvirtNoise)).toEqual([
      'no D-Bus in a pod',
      'no D-Bus in a pod',
      'no DMI data in a pod',
      'no /dev/mem in a pod',
      'no /dev/kvm: TCG',
      'a client hung up',
      'guest-agent polling',
      'no guest load info before libvirt 11.2',
    ]);
  });

  it('keeps what may matter: other positions, other messages, unparsed lines', () => {
    const kept = [
      at(
        'error',
        'virCommandWait:2725',
        'internal error: Child process (/usr/bin/qemu-system-x86_64 -S) unexpected exit status 1',
      ),
      at('error', 'virHostCPUGetCPUID:1422', 'Unable to open /dev/kvm: Permission denied'),
      at('error', 'qemuProcessReportLogError:1941', 'internal error: qemu unexpectedly closed the monitor'),
      at('warning', 'qemuDomainObjTaintMsg:6603', "Domain id=1 name='ns_vm' is tainted: high-privileges"),
      at(
        'error',
        'qemuDomainGetGuestInfoCheckSupport:19783',
        "invalid argument: unsupported guest information types '0x40'",
      ),
      parseLibvirtLine('Unable to get system bus connection'),
    ];
    expect(kept.map(libvirtNoise)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
