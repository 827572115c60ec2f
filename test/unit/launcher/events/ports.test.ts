import { describe, expectTypeOf, it } from 'vitest';
import {
  type AgentSnapshot,
  DEFAULT_AGENT_INTERVALS,
  GuestAgentPoller,
} from '../../../../src/launcher/agent/index.js';
import { startEventPipeline } from '../../../../src/launcher/events/index.js';
import type {
  AgentPollerLike,
  EventSource,
  MetadataSource,
  Notifier,
} from '../../../../src/launcher/events/ports.js';
import type { MetadataCache } from '../../../../src/launcher/metadata-cache.js';
import type { Domain, LibvirtClient } from '../../../../src/libvirt/index.js';
import type { Logger } from '../../../../src/log/logger.js';
import type { NotifyClient } from '../../../../src/rpc/notify-client.js';

// The real classes satisfy the pipeline's narrow ports (checked by the type checker).
describe('ports', () => {
  it('are satisfied by the real classes', () => {
    expectTypeOf<LibvirtClient>().toExtend<EventSource<Domain>>();
    expectTypeOf<NotifyClient>().toExtend<Notifier>();
    expectTypeOf<MetadataCache>().toExtend<MetadataSource>();
    expectTypeOf<GuestAgentPoller>().toExtend<AgentPollerLike<AgentSnapshot>>();
  });

  it('wire up the way the launcher will', () => {
    const wire = (client: LibvirtClient, notifier: NotifyClient, metadata: MetadataCache, log: Logger) =>
      startEventPipeline({
        client,
        notifier,
        metadata,
        uid: 'u',
        log,
        agentPollerFactory: (domain) =>
          new GuestAgentPoller({ domain, intervals: DEFAULT_AGENT_INTERVALS, log }),
        qemuLogPath: (name) => `/var/log/libvirt/qemu/${name}.log`,
      });
    expectTypeOf(wire).returns.resolves.toHaveProperty('domainGone');
  });
});
