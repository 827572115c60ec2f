// libvirt domain XML → KubeVirt's api.DomainSpec JSON (KUBEVIRT.md §4.4). Pure.
import { type AliasJson, decodeStruct } from './go-struct.js';
import { type DomainSpecJson, emptyKubevirtMetadata } from './model.js';
import { DomainSpecAfterMetadata, DomainSpecBeforeMetadata } from './schema-domain.js';
import { type XmlElement, parseXmlRoot } from './xml-element.js';

const NO_ALIAS: AliasJson = { Name: '', UserDefined: false };

type Json = Record<string, unknown>;

/** The UID the XML's own `<metadata><kubevirt><uid>` carries, or "". */
function metadataUid(root: XmlElement | undefined): string {
  const kubevirt = root?.children
    .find((c) => c.name === 'metadata')
    ?.children.find((c) => c.name === 'kubevirt');
  return kubevirt?.children.find((c) => c.name === 'uid')?.text ?? '';
}

function specFrom(root: XmlElement | undefined, uid: string): DomainSpecJson {
  return {
    ...decodeStruct(DomainSpecBeforeMetadata, root),
    Metadata: { KubeVirt: emptyKubevirtMetadata(uid) },
    ...decodeStruct(DomainSpecAfterMetadata, root),
  };
}

// virt-handler dereferences Interfaces[].Alias and .MAC and Disks[].Alias without nil checks.
function guardHandlerDerefs(spec: DomainSpecJson): void {
  const devices = spec.Devices as Json;
  for (const iface of (devices.Interfaces ?? []) as Json[]) {
    iface.Alias ??= { ...NO_ALIAS };
    iface.MAC ??= { MAC: '' };
  }
  for (const disk of (devices.Disks ?? []) as Json[]) disk.Alias ??= { ...NO_ALIAS };
}

/**
 * Parses live (or inactive) libvirt domain XML into api.DomainSpec JSON with Go field names.
 * Throws VmpodError('DOMAIN_XML_MALFORMED') on XML that does not parse or is not a domain.
 */
export function domainSpecFromXml(xml: string): DomainSpecJson {
  const root = parseXmlRoot(xml, 'domain');
  const spec = specFrom(root, metadataUid(root));
  guardHandlerDerefs(spec);
  return spec;
}

/** The Spec of a domain known by name only (the "domain gone" case of §4.4): Go zero values, the UID. */
export function emptyDomainSpec(uid: string): DomainSpecJson {
  return specFrom(undefined, uid);
}
