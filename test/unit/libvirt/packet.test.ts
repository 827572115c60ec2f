import { describe, expect, it } from 'vitest';
import { domainGetState } from '../../../src/libvirt/domain-procedures.js';
import { LibvirtError } from '../../../src/libvirt/errors.js';
import { EVENT_DECODERS } from '../../../src/libvirt/events.js';
import {
  KEEPALIVE_PROGRAM,
  MessageStatus,
  MessageType,
  REMOTE_PROGRAM,
  decodePacket,
  encodePacket,
} from '../../../src/libvirt/packet-header.js';
import { remoteError } from '../../../src/libvirt/remote-types.js';
import { decode } from '../../../src/libvirt/xdr-types.js';
import { hex } from './helpers/hex.js';

const UUID = Uint8Array.from([
  0xd5, 0x2c, 0x4b, 0x0e, 0x7a, 0x01, 0x4e, 0x3b, 0x9f, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
]);
const vm1 = { name: 'vm1', uuid: UUID, id: 1 };

describe('packet golden vectors', () => {
  it('a call: REMOTE_PROC_DOMAIN_GET_STATE', () => {
    const bytes = hex`
      00 00 00 3c                                     // length: 60 (counts itself)
      20 00 80 86                                     // program: REMOTE (0x20008086)
      00 00 00 01                                     // version: 1
      00 00 00 d4                                     // procedure: 212 (DOMAIN_GET_STATE)
      00 00 00 00                                     // type: 0 (CALL)
      00 00 00 01                                     // serial: 1
      00 00 00 00                                     // status: 0 (OK)
      00 00 00 03 76 6d 31 00                         // dom.name: "vm1"
      d5 2c 4b 0e 7a 01 4e 3b 9f 00 11 22 33 44 55 66 // dom.uuid
      00 00 00 01                                     // dom.id: 1
      00 00 00 00                                     // flags: 0
    `;
    const encoded = encodePacket(
      {
        program: REMOTE_PROGRAM,
        version: 1,
        procedure: 212,
        type: MessageType.CALL,
        serial: 1,
        status: MessageStatus.OK,
      },
      (w) => domainGetState.args.write(w, { dom: vm1, flags: 0 }),
    );
    expect(encoded.toString('hex')).toBe(bytes.toString('hex'));
    const { header, body } = decodePacket(bytes);
    expect(header).toEqual({
      program: REMOTE_PROGRAM,
      version: 1,
      procedure: 212,
      type: 0,
      serial: 1,
      status: 0,
    });
    expect(decode(domainGetState.args, body)).toEqual({ dom: vm1, flags: 0 });
  });

  it('an error reply: remote_error for VIR_ERR_NO_DOMAIN', () => {
    const bytes = hex`
      00 00 00 5c                                     // length: 92
      20 00 80 86                                     // program: REMOTE
      00 00 00 01                                     // version: 1
      00 00 00 17                                     // procedure: 23 (DOMAIN_LOOKUP_BY_NAME)
      00 00 00 01                                     // type: 1 (REPLY)
      00 00 00 07                                     // serial: 7
      00 00 00 01                                     // status: 1 (ERROR)
      00 00 00 2a                                     // code: 42 (VIR_ERR_NO_DOMAIN)
      00 00 00 0a                                     // domain: 10 (VIR_FROM_QEMU)
      00 00 00 01                                     // message: present
      00 00 00 10                                     //   length: 16
      44 6f 6d 61 69 6e 20 6e 6f 74 20 66 6f 75 6e 64 //   "Domain not found"
      00 00 00 02                                     // level: 2 (VIR_ERR_ERROR)
      00 00 00 00                                     // dom: absent
      00 00 00 00                                     // str1: absent
      00 00 00 00                                     // str2: absent
      00 00 00 00                                     // str3: absent
      ff ff ff ff                                     // int1: -1
      ff ff ff ff                                     // int2: -1
      00 00 00 00                                     // net: absent
    `;
    const { header, body } = decodePacket(bytes);
    expect(header).toMatchObject({
      procedure: 23,
      type: MessageType.REPLY,
      serial: 7,
      status: MessageStatus.ERROR,
    });
    const remote = decode(remoteError, body);
    expect(remote).toEqual({
      code: 42,
      domain: 10,
      message: 'Domain not found',
      level: 2,
      dom: null,
      str1: null,
      str2: null,
      str3: null,
      int1: -1,
      int2: -1,
      net: null,
    });
    const err = new LibvirtError(remote, 'DOMAIN_LOOKUP_BY_NAME');
    expect(err.code).toBe('LIBVIRT_NO_DOMAIN');
    expect(err.message).toBe("LibvirtError(Code=42, Domain=10, Message='Domain not found')");
    expect(err.facts).toMatchObject({ libvirtCode: 42, libvirtDomain: 10, libvirtLevel: 2 });
  });

  it('an event message: REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', () => {
    const bytes = hex`
      00 00 00 44                                     // length: 68
      20 00 80 86                                     // program: REMOTE
      00 00 00 01                                     // version: 1
      00 00 01 3e                                     // procedure: 318 (DOMAIN_EVENT_CALLBACK_LIFECYCLE)
      00 00 00 02                                     // type: 2 (MESSAGE)
      00 00 00 00                                     // serial: 0 (always, for messages)
      00 00 00 00                                     // status: 0 (OK)
      00 00 00 05                                     // callbackID: 5
      00 00 00 03 76 6d 31 00                         // msg.dom.name: "vm1"
      d5 2c 4b 0e 7a 01 4e 3b 9f 00 11 22 33 44 55 66 // msg.dom.uuid
      00 00 00 01                                     // msg.dom.id: 1
      00 00 00 02                                     // msg.event: 2 (STARTED)
      00 00 00 00                                     // msg.detail: 0 (BOOTED)
    `;
    const { header, body } = decodePacket(bytes);
    expect(header).toMatchObject({ procedure: 318, type: MessageType.MESSAGE, serial: 0 });
    expect(EVENT_DECODERS.get(318)?.decode(body)).toEqual({
      kind: 'lifecycle',
      callbackID: 5,
      domain: vm1,
      event: 2,
      detail: 0,
    });
  });

  it('a keepalive PING', () => {
    const bytes = hex`
      00 00 00 1c // length: 28 (header only)
      6b 65 65 70 // program: KEEPALIVE ("keep")
      00 00 00 01 // version: 1
      00 00 00 01 // procedure: 1 (PING)
      00 00 00 02 // type: 2 (MESSAGE)
      00 00 00 00 // serial: 0
      00 00 00 00 // status: 0
    `;
    const encoded = encodePacket({
      program: KEEPALIVE_PROGRAM,
      version: 1,
      procedure: 1,
      type: MessageType.MESSAGE,
      serial: 0,
      status: MessageStatus.OK,
    });
    expect(encoded.toString('hex')).toBe(bytes.toString('hex'));
  });
});

describe('packet decode errors', () => {
  it('a header with an undeclared message type names header.type', () => {
    const bytes = hex`00 00 00 1c 20 00 80 86 00 00 00 01 00 00 00 01 00 00 00 09 00 00 00 00 00 00 00 00`;
    expect(() => decodePacket(bytes)).toThrow(
      expect.objectContaining({ code: 'XDR_BAD_ENUM', facts: { path: 'header.type', offset: 16 } }),
    );
  });

  it('a header with an undeclared status names header.status', () => {
    const bytes = hex`00 00 00 1c 20 00 80 86 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 03`;
    expect(() => decodePacket(bytes)).toThrow(
      expect.objectContaining({ code: 'XDR_BAD_ENUM', facts: { path: 'header.status', offset: 24 } }),
    );
  });

  it('a length word that disagrees with the frame', () => {
    const bytes = hex`00 00 00 20 20 00 80 86 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 00`;
    expect(() => decodePacket(bytes)).toThrow(expect.objectContaining({ code: 'LIBVIRT_FRAME_BAD_LENGTH' }));
  });
});
