import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import {
  CLIENT_ERROR_CODES,
  LIBVIRT_ERROR_CODES,
  LibvirtError,
  clientError,
  formatLibvirtError,
  libvirtErrorCode,
} from '../../../src/libvirt/errors.js';

describe('libvirt error codes', () => {
  it.each(Object.entries(LIBVIRT_ERROR_CODES))('virErrorNumber %s has the stable code %s', (num, code) => {
    const err = new LibvirtError(
      { code: Number(num), domain: 10, message: 'm', level: 2 },
      'DOMAIN_GET_STATE',
    );
    expect(err).toBeInstanceOf(VmpodError);
    expect(err.code).toBe(code);
    expect(code).toMatch(/^LIBVIRT_[A-Z_]+$/);
    expect(err.libvirtCode).toBe(Number(num));
    expect(err.facts).toEqual({
      libvirtCode: Number(num),
      libvirtDomain: 10,
      libvirtLevel: 2,
      libvirtMessage: 'm',
      procedure: 'DOMAIN_GET_STATE',
    });
  });

  it('the common ones are where vmpod expects them', () => {
    expect(libvirtErrorCode(42)).toBe('LIBVIRT_NO_DOMAIN');
    expect(libvirtErrorCode(55)).toBe('LIBVIRT_OPERATION_INVALID');
    expect(libvirtErrorCode(1)).toBe('LIBVIRT_INTERNAL_ERROR');
  });

  it('an unmapped libvirt code is LIBVIRT_ERROR and keeps the number', () => {
    const err = new LibvirtError({ code: 999, domain: 0, message: null, level: 2 });
    expect(err.code).toBe('LIBVIRT_ERROR');
    expect(err.libvirtCode).toBe(999);
    expect(err.message).toBe("LibvirtError(Code=999, Domain=0, Message='')");
  });

  it('renders as KubeVirt (libvirt-go) does', () => {
    expect(formatLibvirtError(55, 10, 'Requested operation is not valid: domain is not running')).toBe(
      "LibvirtError(Code=55, Domain=10, Message='Requested operation is not valid: domain is not running')",
    );
  });

  it.each(CLIENT_ERROR_CODES)('client error %s is a VmpodError with facts and cause', (code) => {
    const cause = new Error('underlying');
    const err = clientError(code, 'msg', { socketPath: '/x' }, cause);
    expect(err).toBeInstanceOf(VmpodError);
    expect(err.code).toBe(code);
    expect(err.facts).toEqual({ socketPath: '/x' });
    expect(err.cause).toBe(cause);
  });
});
