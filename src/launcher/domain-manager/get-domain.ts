import { buildDomainJson, domainSpecFromXml, domainStatusJson } from '../../domain/domain-json/index.js';
import type { DomainSpecJson, DomainStatusJson, KubevirtMetadata } from '../../domain/domain-json/model.js';
import { errorCode } from '../../errors.js';
import type { Domain, LibvirtClient } from '../../libvirt/index.js';
import { XML_INACTIVE } from './libvirt-flags.js';

// GetDomain (KUBEVIRT.md §4.4): the first libvirt domain as KubeVirt's `api.Domain` JSON, or the
// empty string when there is none, which virt-handler reads as "domain does not exist". The spec
// is the live XML (runtime aliases, tap names, channel state), the inactive XML when the live one
// cannot be read; Spec.Metadata.KubeVirt is the launcher's cache; ObjectMeta.uid stays empty.

export async function getDomainJson(args: {
  readonly client: LibvirtClient;
  readonly metadata: () => KubevirtMetadata;
  readonly agentStatus: () => Partial<DomainStatusJson>;
  /** XML → Spec: a specParser(), so an unchanged XML is parsed once. */
  readonly spec: (xml: string) => DomainSpecJson;
}): Promise<string> {
  const [dom] = await args.client.listAllDomains();
  if (!dom) return '';
  try {
    // Both requests go out together on the one connection; libvirt answers them in turn.
    const [state, xml] = await Promise.all([dom.kubevirtState(), domainXml(dom)]);
    const spec = args.spec(xml);
    const json = buildDomainJson({
      libvirtName: dom.name,
      spec,
      metadata: args.metadata(),
      status: domainStatusJson({ Status: state.status, Reason: state.reason }, args.agentStatus()),
    });
    return JSON.stringify(json);
  } catch (err) {
    // Undefined between the listing and the reads: there is no domain now.
    if (errorCode(err) === 'LIBVIRT_NO_DOMAIN') return '';
    throw err;
  }
}

async function domainXml(dom: Domain): Promise<string> {
  try {
    return await dom.xml(0);
  } catch (err) {
    if (errorCode(err) === 'LIBVIRT_NO_DOMAIN') throw err;
    return dom.xml(XML_INACTIVE);
  }
}

/**
 * domainSpecFromXml remembering its last input: virt-handler asks for the domain every few seconds
 * and the XML seldom changes, while parsing it costs about as much as the libvirt round trips. The
 * returned spec is shared between calls; callers must not change it (buildDomainJson does not).
 */
export function specParser(): (xml: string) => DomainSpecJson {
  let last: { xml: string; spec: DomainSpecJson } | undefined;
  return (xml) => {
    if (last?.xml !== xml) last = { xml, spec: domainSpecFromXml(xml) };
    return last.spec;
  };
}
