// The guest-agent pollers (KUBEVIRT.md §5.2): started when the agent connects, stopped when it
// disconnects or the domain is suspended. Each worker runs once at start, then on a period that
// starts at min(10 s, its maximum) and doubles after every run up to the maximum. Agent failures
// are logged and retried on the next tick; they never throw out of here. A request this libvirt
// does not know (an older libvirt refusing the guest-info LOAD type, for one) is logged once and
// that worker stops for the poller's lifetime, rather than making libvirt log an error every tick.
import { errorCode } from '../../errors.js';
import { LibvirtError, VirErrorNumber } from '../../libvirt/errors.js';
import type { Logger } from '../../log/logger.js';
import { parseFsFreezeStatusReply, parseFsInfoReply, parseGuestInfoReply } from './agent-replies.js';
import { AGENT_COMMAND_TIMEOUT_S, type AgentDomain } from './commands.js';
import {
  GuestInfoType,
  hostnameFromParams,
  interfacesFromParams,
  loadFromParams,
  osFromParams,
  timezoneFromParams,
  usersFromParams,
} from './guest-info-params.js';
import { type AgentSnapshot, emptySnapshot } from './snapshot.js';

/** Maximum periods, from --qemu-agent-*-interval and --qemu-fsfreeze-status-interval. */
export interface AgentIntervals {
  sysMs: number;
  fileMs: number;
  userMs: number;
  versionMs: number;
  fsfreezeStatusMs: number;
}

export const DEFAULT_AGENT_INTERVALS: Readonly<AgentIntervals> = Object.freeze({
  sysMs: 120_000,
  fileMs: 300_000,
  userMs: 10_000,
  versionMs: 300_000,
  fsfreezeStatusMs: 5_000,
});

/** The first period of every worker is at most this. */
export const FIRST_PERIOD_CAP_MS = 10_000;

/** The period after `current`: doubled, up to the worker's maximum. */
export function nextPeriod(current: number, maxMs: number): number {
  return Math.min(current * 2, maxMs);
}

export function firstPeriod(maxMs: number): number {
  return Math.min(FIRST_PERIOD_CAP_MS, maxMs);
}

interface Worker {
  name: string;
  maxMs: number;
  /** Asks the agent and returns how to change the snapshot. */
  poll(): Promise<(s: AgentSnapshot) => void>;
}

const MALFORMED = new Set(['AGENT_REPLY_MALFORMED', 'AGENT_GUEST_INFO_MALFORMED']);

/**
 * libvirt's answer to a request it does not implement: an INVALID_ARG naming unsupported flags or
 * guest information types (libvirt before 11.2 given VIR_DOMAIN_GUEST_INFO_LOAD says "unsupported
 * guest information types '0x80'"), NO_SUPPORT or OPERATION_UNSUPPORTED. Never a guest-agent
 * failure: asking again will not help.
 */
export function unsupportedByLibvirt(err: unknown): boolean {
  if (!(err instanceof LibvirtError)) return false;
  if (err.libvirtCode === VirErrorNumber.NO_SUPPORT) return true;
  if (err.libvirtCode === VirErrorNumber.OPERATION_UNSUPPORTED) return true;
  return (
    err.libvirtCode === VirErrorNumber.INVALID_ARG &&
    /unsupported (flags|guest information types)/i.test(err.libvirtMessage)
  );
}

/** What a change notification is about: OS info, interfaces and fsfreeze status only. */
function notifiedPart(s: AgentSnapshot): string {
  return JSON.stringify([s.os, s.interfaces, s.fsFreezeStatus]);
}

function cloneSnapshot(s: AgentSnapshot): AgentSnapshot {
  return structuredClone(s);
}

export class GuestAgentPoller {
  readonly #domain: AgentDomain;
  readonly #intervals: AgentIntervals;
  readonly #log: Logger;
  readonly #workers: Worker[];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #listeners = new Set<() => void>();
  /** Workers whose request libvirt does not implement: never run again. */
  readonly #unsupported = new Set<string>();
  #snapshot = emptySnapshot();
  /** Bumped by start() and stop(): a run from an older generation neither applies nor reschedules. */
  #generation = 0;
  #running = false;

  constructor(opts: { domain: AgentDomain; intervals: AgentIntervals; log: Logger }) {
    this.#domain = opts.domain;
    this.#intervals = opts.intervals;
    this.#log = opts.log;
    this.#workers = this.#makeWorkers();
  }

  get running(): boolean {
    return this.#running;
  }

  /** On agent CONNECTED (and RESUMED with the agent connected); a second call is a no-op. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const generation = ++this.#generation;
    this.#log.info({ intervals: this.#intervals }, 'starting guest agent pollers');
    for (const w of this.#workers) {
      if (!this.#unsupported.has(w.name)) void this.#run(w, generation, firstPeriod(w.maxMs));
    }
  }

  /** On agent DISCONNECTED or domain SUSPENDED: every timer goes; what was learned stays. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#log.info('stopped guest agent pollers');
  }

  /** A copy of everything learned so far. */
  snapshot(): AgentSnapshot {
    return cloneSnapshot(this.#snapshot);
  }

  /** cb runs when OS info, interfaces or fsfreeze status change; returns the unsubscribe. */
  onChange(cb: () => void): () => void {
    this.#listeners.add(cb);
    return () => {
      this.#listeners.delete(cb);
    };
  }

  async #run(w: Worker, generation: number, period: number): Promise<void> {
    let apply: ((s: AgentSnapshot) => void) | undefined;
    try {
      apply = await w.poll();
    } catch (err) {
      const code = errorCode(err);
      const fields = { worker: w.name, code, reason: err };
      if (unsupportedByLibvirt(err)) {
        this.#unsupported.add(w.name);
        this.#log.info(fields, 'libvirt does not support this guest agent query; no longer polled');
        return;
      }
      if (code !== undefined && MALFORMED.has(code))
        this.#log.warn(fields, 'guest agent gave a malformed reply');
      else this.#log.debug(fields, 'guest agent poll failed');
    }
    if (generation !== this.#generation) return;
    if (apply) this.#apply(apply, w.name);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#run(w, generation, nextPeriod(period, w.maxMs));
    }, period);
    this.#timers.add(timer);
  }

  #apply(apply: (s: AgentSnapshot) => void, worker: string): void {
    const before = notifiedPart(this.#snapshot);
    const next = cloneSnapshot(this.#snapshot);
    apply(next);
    this.#snapshot = next;
    if (notifiedPart(next) === before) return;
    this.#log.debug({ worker }, 'guest agent data changed');
    for (const cb of [...this.#listeners]) {
      try {
        cb();
      } catch (err) {
        this.#log.warn({ reason: err }, 'guest agent change listener threw');
      }
    }
  }

  #makeWorkers(): Worker[] {
    const d = this.#domain;
    const i = this.#intervals;
    const raw = (execute: string) => d.agentCommand(JSON.stringify({ execute }), AGENT_COMMAND_TIMEOUT_S, 0);
    return [
      {
        name: 'guest-info',
        maxMs: i.versionMs,
        poll: async () => {
          const r = parseGuestInfoReply(await raw('guest-info'));
          return (s) => {
            s.version = r.version;
            s.supportedCommands = r.supportedCommands;
          };
        },
      },
      {
        name: 'guest-get-fsinfo',
        maxMs: i.fileMs,
        poll: async () => {
          const fs = parseFsInfoReply(await raw('guest-get-fsinfo'));
          return (s) => {
            s.filesystems = fs;
          };
        },
      },
      {
        name: 'guest-fsfreeze-status',
        maxMs: i.fsfreezeStatusMs,
        poll: async () => {
          const status = parseFsFreezeStatusReply(await raw('guest-fsfreeze-status'));
          return (s) => {
            s.fsFreezeStatus = status;
          };
        },
      },
      {
        name: 'guest-info-sys',
        maxMs: i.sysMs,
        poll: async () => {
          const p = await d.guestInfo(
            GuestInfoType.INTERFACES | GuestInfoType.OS | GuestInfoType.HOSTNAME | GuestInfoType.TIMEZONE,
          );
          const os = osFromParams(p);
          const interfaces = interfacesFromParams(p);
          const hostname = hostnameFromParams(p);
          const timezone = timezoneFromParams(p);
          return (s) => {
            s.os = os;
            s.interfaces = interfaces;
            s.hostname = hostname;
            s.timezone = timezone;
          };
        },
      },
      {
        name: 'guest-info-users',
        maxMs: i.userMs,
        poll: async () => {
          const users = usersFromParams(await d.guestInfo(GuestInfoType.USERS));
          return (s) => {
            s.users = users;
          };
        },
      },
      {
        name: 'guest-info-load',
        maxMs: i.sysMs,
        poll: async () => {
          const load = loadFromParams(await d.guestInfo(GuestInfoType.LOAD));
          return (s) => {
            s.load = load;
          };
        },
      },
    ];
  }
}
