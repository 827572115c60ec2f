import type { Timer } from '../vmi/types.js';
import type { Configurator } from './configurator.js';
import type { DomainTimer } from './domain-types.js';

/** §6.4: `<clock>` only when spec.domain.clock is set. */
export const configureClock: Configurator = (vmi, _ctx, domain) => {
  const clock = vmi.spec.domain.clock;
  if (!clock) return;
  const timers: DomainTimer[] = [];
  const add = (name: DomainTimer['name'], t: Timer | undefined) => {
    if (!t) return;
    timers.push({
      name,
      present: t.present === false ? 'no' : 'yes',
      ...(t.tickPolicy ? { tickpolicy: t.tickPolicy } : {}),
      ...(t.track && name === 'rtc' ? { track: t.track } : {}),
    });
  };
  add('rtc', clock.timer?.rtc);
  add('pit', clock.timer?.pit);
  add('kvmclock', clock.timer?.kvm);
  add('hpet', clock.timer?.hpet);
  add('hypervclock', clock.timer?.hyperv);
  if (clock.timezone !== undefined) {
    domain.clock = { offset: 'timezone', timezone: clock.timezone, timers };
  } else {
    const seconds = clock.utc?.offsetSeconds;
    domain.clock = { offset: 'utc', adjustment: seconds === undefined ? 'reset' : String(seconds), timers };
  }
};
