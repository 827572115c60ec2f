// The QEMU program's procedures (qemu_protocol.x, program 0x20008087). Pure.
import { QEMU_PROGRAM } from './packet-header.js';
import { remoteProc } from './procedure.js';
import { nonnullDomain, nonnullString, remoteString } from './remote-types.js';
import { int, struct, uint } from './xdr-types.js';

/** VIR_DOMAIN_QEMU_AGENT_COMMAND_* timeouts in seconds; negative values are libvirt's specials. */
export const AgentCommandTimeout = { BLOCK: -2, DEFAULT: -1, NOWAIT: 0 } as const;

export const qemuDomainAgentCommand = remoteProc(
  'QEMU_DOMAIN_AGENT_COMMAND',
  3,
  struct({ dom: nonnullDomain, cmd: nonnullString, timeout: int, flags: uint }),
  struct({ result: remoteString }),
  QEMU_PROGRAM,
);
