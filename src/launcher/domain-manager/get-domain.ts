import { buildDomainJson, domainSpecFromXml, domainStatusJson } from '../../domain/domain-json/index.js';
import type { DomainStatusJson, KubevirtMetadata } from '../../domain/domain-json/model.js';
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
}): Promise<string> {
  const [dom] = await args.client.listAllDomains();
  if (!dom) return '';
  try {
    const state = await dom.kubevirtState();
    const spec = domainSpecFromXml(await domainXml(dom));
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
