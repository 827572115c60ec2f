import { describe, expect, it } from 'vitest';
import {
  buildDomainJson,
  domainSpecFromXml,
  domainStatusJson,
  emptyDomainSpec,
  emptyKubevirtMetadata,
  splitLibvirtName,
} from '../../../../src/domain/domain-json/index.js';
import { LIVE_XML } from './fixtures.js';

// §4.4's "domain gone" notification body, values as given there.
const GONE_EXAMPLE = {
  kind: 'Domain',
  apiVersion: '1.2.2',
  ObjectMeta: {
    name: 'vm1',
    namespace: 'ns1',
    uid: 'vmi-uid',
    creationTimestamp: null,
    deletionTimestamp: '2026-01-01T00:00:00Z',
  },
  Spec: {
    XMLName: { Space: '', Local: '' },
    Type: '',
    Name: '',
    Memory: { Value: 0, Unit: '' },
    Devices: { Interfaces: null, Disks: null, Channels: null },
    Metadata: {
      KubeVirt: {
        UID: 'vmi-uid',
        GracePeriod: null,
        Migration: null,
        Backup: null,
        AccessCredential: null,
        MemoryDump: null,
      },
    },
  },
  Status: {
    Status: 'NoState',
    Reason: 'NonExistent',
    Interfaces: null,
    OSInfo: { Name: '' },
    FSFreezeStatus: { Status: '' },
    GuestPanicInfo: null,
    PanicCount: 0,
  },
};

describe('the "domain gone" domain', () => {
  const gone = buildDomainJson({
    libvirtName: 'ns1_vm1',
    uid: 'vmi-uid',
    spec: emptyDomainSpec('vmi-uid'),
    status: domainStatusJson({ Status: 'NoState', Reason: 'NonExistent' }),
    deletionTimestamp: '2026-01-01T00:00:00Z',
  });

  it("has every key and value of §4.4's example", () => {
    expect(gone).toMatchObject(GONE_EXAMPLE);
    expect(Object.keys(gone)).toEqual(['kind', 'apiVersion', 'ObjectMeta', 'Spec', 'Status']);
    expect(Object.keys(gone.ObjectMeta)).toEqual([
      'name',
      'namespace',
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
    ]);
  });

  it('is the Go zero value elsewhere: empty strings, zero numbers, null pointers and slices', () => {
    // biome-ignore lint/suspicious/noExplicitAny: the test walks untyped JSON
    const spec = gone.Spec as Record<string, any>;
    expect(spec.CurrentMemory).toBeNull();
    expect(spec.Features).toBeNull();
    expect(spec.OS.Type).toEqual({ OS: '', Arch: '', Machine: '' });
    expect(spec.OS.BootOrder).toBeNull();
    expect(spec.CPU).toEqual({ Mode: '', Model: '', Features: null, Topology: null, NUMA: null });
    expect(Object.values(spec.Devices).filter((v) => v !== null)).toEqual(['']);
    expect(gone.Status.OSInfo).toEqual({
      Name: '',
      KernelRelease: '',
      Version: '',
      PrettyName: '',
      VersionId: '',
      KernelVersion: '',
      Machine: '',
      Id: '',
    });
  });

  it('has the same Spec keys as a domain parsed from XML', () => {
    expect(Object.keys(gone.Spec)).toEqual(Object.keys(domainSpecFromXml(LIVE_XML)));
  });

  it('survives a JSON round trip', () => {
    expect(JSON.parse(JSON.stringify(gone))).toEqual(gone);
  });
});

describe('splitLibvirtName', () => {
  it.each([
    ['ns1_vm1', 'ns1', 'vm1'],
    ['default_vmi_with_underscores', 'default', 'vmi_with_underscores'],
    ['kube-system_a', 'kube-system', 'a'],
    ['ns_', 'ns', ''],
    ['nounderscore', 'default', 'nounderscore'],
  ])('%s → namespace %s, name %s', (libvirtName, namespace, name) => {
    expect(splitLibvirtName(libvirtName)).toEqual({ namespace, name });
  });
});

describe('buildDomainJson', () => {
  const spec = domainSpecFromXml(LIVE_XML);
  const status = domainStatusJson({ Status: 'Running', Reason: 'Unknown' });

  it('omits an empty uid and the deletionTimestamp, as the omitempty tags do', () => {
    const d = buildDomainJson({ libvirtName: 'default_vmi-masquerade', uid: '', spec, status });
    expect(d.ObjectMeta).toEqual({ name: 'vmi-masquerade', namespace: 'default', creationTimestamp: null });
    expect(JSON.stringify(d.ObjectMeta)).not.toContain('uid');
  });

  it('replaces Spec.Metadata.KubeVirt with the cache and leaves the rest of the spec alone', () => {
    const metadata = {
      ...emptyKubevirtMetadata('1234'),
      GracePeriod: {
        DeletionGracePeriodSeconds: 30,
        DeletionTimestamp: null,
        MarkedForGracefulShutdown: true,
      },
    };
    const d = buildDomainJson({ libvirtName: 'default_vmi-masquerade', spec, metadata, status });
    expect(d.Spec.Metadata.KubeVirt).toBe(metadata);
    expect(d.Spec.Devices).toBe(spec.Devices);
    expect(spec.Metadata.KubeVirt).toMatchObject({ UID: '' });
    expect(d.Status).toBe(status);
  });

  it('keeps the spec metadata when no cache is given', () => {
    const d = buildDomainJson({ libvirtName: 'default_vmi-masquerade', spec, status });
    expect(d.Spec.Metadata).toEqual(spec.Metadata);
  });
});

describe('domainStatusJson', () => {
  it('starts at Go zero values with the given state', () => {
    expect(domainStatusJson({ Status: 'Paused', Reason: 'IOError' })).toEqual({
      Status: 'Paused',
      Reason: 'IOError',
      Interfaces: null,
      OSInfo: {
        Name: '',
        KernelRelease: '',
        Version: '',
        PrettyName: '',
        VersionId: '',
        KernelVersion: '',
        Machine: '',
        Id: '',
      },
      FSFreezeStatus: { Status: '' },
      GuestPanicInfo: null,
      PanicCount: 0,
    });
  });

  it('takes guest-agent data from the partial', () => {
    const s = domainStatusJson(
      { Status: 'Running', Reason: 'Unknown' },
      {
        Interfaces: [{ Mac: '02:00:00:00:00:01', Ip: '10.0.2.2', IPs: ['10.0.2.2'], InterfaceName: 'eth0' }],
        FSFreezeStatus: { Status: 'frozen' },
        PanicCount: 2,
      },
    );
    expect(s.Interfaces?.[0]?.InterfaceName).toBe('eth0');
    expect(s.FSFreezeStatus.Status).toBe('frozen');
    expect(s.PanicCount).toBe(2);
    expect(s.OSInfo.Name).toBe('');
  });
});
