import {
  type GracePeriodMetadata,
  type KubevirtMetadata,
  emptyKubevirtMetadata,
} from '../domain/domain-json/model.js';

// The launcher's in-memory KubeVirt metadata (KUBEVIRT.md §4.4, §5.2 input 4): the domain XML's
// own <metadata> stays empty; this cache is what `Spec.Metadata.KubeVirt` shows. Every change
// is announced, because a metadata change is a domain notification to virt-handler.

export type MetadataListener = (meta: Readonly<KubevirtMetadata>) => void;

export class MetadataCache {
  private meta: KubevirtMetadata;
  private readonly listeners = new Set<MetadataListener>();

  constructor(uid = '') {
    this.meta = emptyKubevirtMetadata(uid);
  }

  /** A deep copy: callers may keep or change it freely. */
  get(): KubevirtMetadata {
    return structuredClone(this.meta);
  }

  get uid(): string {
    return this.meta.UID;
  }

  setUid(uid: string): void {
    if (this.meta.UID === uid) return;
    this.meta.UID = uid;
    this.changed();
  }

  /** Merges into GracePeriod (creating it with zero values first); announces only real changes. */
  updateGracePeriod(patch: Partial<GracePeriodMetadata>): void {
    const before = this.meta.GracePeriod;
    const next: GracePeriodMetadata = {
      DeletionGracePeriodSeconds: 0,
      DeletionTimestamp: null,
      MarkedForGracefulShutdown: null,
      ...before,
      ...patch,
    };
    if (
      before &&
      before.DeletionGracePeriodSeconds === next.DeletionGracePeriodSeconds &&
      before.DeletionTimestamp === next.DeletionTimestamp &&
      before.MarkedForGracefulShutdown === next.MarkedForGracefulShutdown
    ) {
      return;
    }
    this.meta.GracePeriod = next;
    this.changed();
  }

  /** §1.3.3: the first termination signal marks the domain for graceful shutdown. */
  markForGracefulShutdown(): void {
    this.updateGracePeriod({ MarkedForGracefulShutdown: true });
  }

  onChange(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    const snapshot = this.get();
    for (const l of this.listeners) l(snapshot);
  }
}
