import { describe, expect, it } from 'vitest';
import { configureCpu } from '../../../src/domain/configure-cpu.js';
import { configureIdentity } from '../../../src/domain/configure-identity.js';
import { configureMemory } from '../../../src/domain/configure-memory.js';
import { run, vmiWith } from './fixtures.js';

describe('identity', () => {
  it('names the domain <namespace>_<name> and takes the type the caller chose', () => {
    const d = run(configureIdentity, vmiWith(), { domainType: 'qemu' });
    expect(d.name).toBe('ns_vm');
    expect(d.type).toBe('qemu');
    expect(d.onReboot).toBeUndefined();
  });
  it('maps rebootPolicy to on_reboot', () => {
    expect(run(configureIdentity, vmiWith({ rebootPolicy: 'Terminate' })).onReboot).toBe('destroy');
    expect(run(configureIdentity, vmiWith({ rebootPolicy: 'Reboot' })).onReboot).toBe('restart');
  });
});

describe('memory', () => {
  it('uses memory.guest in bytes', () => {
    expect(run(configureMemory, vmiWith({ memory: { guest: '1Gi' } })).memoryBytes).toBe(2 ** 30);
  });
  it('falls back to the memory request', () => {
    const vmi = vmiWith({ memory: undefined, resources: { requests: { memory: '100M' } } });
    expect(run(configureMemory, vmi).memoryBytes).toBe(100_000_000);
  });
});

describe('cpu', () => {
  it('multiplies the topology into <vcpu> and defaults to host-model', () => {
    const d = run(configureCpu, vmiWith({ cpu: { sockets: 2, cores: 3, threads: 2 } }));
    expect(d.vcpus).toBe(12);
    expect(d.cpu).toEqual({
      mode: 'host-model',
      topology: { sockets: 2, cores: 3, threads: 2 },
      features: [],
    });
  });
  it('passes host-passthrough through as a mode', () => {
    expect(run(configureCpu, vmiWith({ cpu: { model: 'host-passthrough' } })).cpu.mode).toBe(
      'host-passthrough',
    );
  });
  it('uses custom mode for a named model and disables mpx unless listed', () => {
    const d = run(
      configureCpu,
      vmiWith({ cpu: { model: 'Haswell', features: [{ name: 'pcid', policy: 'force' }] } }),
    );
    expect(d.cpu.mode).toBe('custom');
    expect(d.cpu.model).toBe('Haswell');
    expect(d.cpu.features).toEqual([
      { name: 'pcid', policy: 'force' },
      { name: 'mpx', policy: 'disable' },
    ]);
    const listed = run(configureCpu, vmiWith({ cpu: { model: 'Haswell', features: [{ name: 'mpx' }] } }));
    expect(listed.cpu.features).toEqual([{ name: 'mpx', policy: 'require' }]);
  });
});
