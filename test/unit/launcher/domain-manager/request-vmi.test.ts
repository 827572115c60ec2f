import { describe, expect, it } from 'vitest';
import {
  NO_VALID_VMI,
  acpiDisabled,
  agentConnected,
  decodeRequestVmi,
  foreignVmiReason,
  fullVmi,
  migrationTargetPod,
  vmiMigrating,
} from '../../../../src/launcher/domain-manager/request-vmi.js';

const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

describe('the VMI of a request', () => {
  it('needs only metadata.name and namespace (virt-freezer sends nothing else)', () => {
    const r = decodeRequestVmi(bytes({ metadata: { name: 'vm1', namespace: 'ns1' } }));
    expect(r).toMatchObject({ name: 'vm1', namespace: 'ns1', uid: '', domainName: 'ns1_vm1' });
  });

  it.each([
    ['not JSON', '{'],
    ['not an object', '[1]'],
    ['no name', { metadata: { namespace: 'ns1' } }],
    ['empty', ''],
  ])('is "no valid VMI" when %s', (_what, input) => {
    let err: unknown;
    try {
      decodeRequestVmi(bytes(input));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'VMI_NO_VALID_OBJECT', message: NO_VALID_VMI });
  });

  it('is fully validated for Sync, naming the bad field', () => {
    const r = decodeRequestVmi(
      bytes({ metadata: { name: 'vm1', namespace: 'ns1' }, spec: { domain: { memory: { guest: 'lots' } } } }),
    );
    expect(() => fullVmi(r)).toThrow(/spec\.domain\.memory\.guest/);
  });

  it('reads the AgentConnected condition, ACPI, the migration target pod and migration state', () => {
    const raw = {
      spec: { domain: { features: { acpi: { enabled: false } } } },
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'AgentConnected', status: 'True' },
        ],
        migrationState: { targetPod: 'virt-launcher-vm1-abcde', startTimestamp: '2026-01-01T00:00:00Z' },
      },
    };
    expect(agentConnected(raw)).toBe(true);
    expect(acpiDisabled(raw)).toBe(true);
    expect(migrationTargetPod(raw)).toBe('virt-launcher-vm1-abcde');
    expect(vmiMigrating(raw)).toBe(true);
    expect(agentConnected({ status: { conditions: [{ type: 'AgentConnected', status: 'False' }] } })).toBe(
      false,
    );
    expect(acpiDisabled({ spec: { domain: { features: { acpi: {} } } } })).toBe(false);
    expect(migrationTargetPod({})).toBeUndefined();
    expect(vmiMigrating({ status: { migrationState: { startTimestamp: 'x', completed: true } } })).toBe(
      false,
    );
  });
});

describe('a VMI for another domain', () => {
  const vmi = { name: 'vm1', namespace: 'ns1', domainName: 'ns1_vm1' };

  it('is accepted when the launcher has no name and no domain, or the same ones', () => {
    expect(foreignVmiReason(vmi, { name: '', namespace: '' }, undefined)).toBeUndefined();
    expect(foreignVmiReason(vmi, { name: 'vm1', namespace: 'ns1' }, 'ns1_vm1')).toBeUndefined();
  });

  it('is refused when --name or --namespace differ, naming both', () => {
    expect(foreignVmiReason(vmi, { name: 'vm2', namespace: 'ns1' }, undefined)).toBe(
      'VMI ns1/vm1 is not the VMI of this launcher (ns1/vm2)',
    );
    expect(foreignVmiReason(vmi, { name: '', namespace: 'other' }, undefined)).toContain('(other/*)');
  });

  it('is refused when a domain with another name exists', () => {
    expect(foreignVmiReason(vmi, { name: '', namespace: '' }, 'ns1_vm2')).toBe(
      'VMI ns1/vm1 (domain ns1_vm1) is not the VMI of this launcher: domain ns1_vm2 exists',
    );
  });
});
