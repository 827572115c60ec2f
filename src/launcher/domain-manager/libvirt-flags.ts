// The libvirt flag values the domain manager passes (libvirt-domain.h / libvirt-host.h).

/** virDomainCreateFlags */
export const START_PAUSED = 1;

/** virDomainDestroyFlagsValues */
export const DESTROY_GRACEFUL = 1;

/** virDomainUndefineFlagsValues: KEEP_NVRAM (1 << 3) | CHECKPOINTS_METADATA (1 << 4). */
export const UNDEFINE_KEEP_NVRAM = 1 << 3;
export const UNDEFINE_CHECKPOINTS_METADATA = 1 << 4;

/** virDomainRebootFlagValues */
export const REBOOT_ACPI_POWER_BTN = 1 << 0;
export const REBOOT_GUEST_AGENT = 1 << 1;

/** virDomainXMLFlags */
export const XML_INACTIVE = 1 << 1;

/** virDomainStatsTypes */
export const STATS_CPU_TOTAL = 1 << 1;
export const STATS_BALLOON = 1 << 2;
export const STATS_VCPU = 1 << 3;
export const STATS_INTERFACE = 1 << 4;
export const STATS_BLOCK = 1 << 5;
export const STATS_DIRTYRATE = 1 << 9;

/** virConnectGetAllDomainStatsFlags */
export const GET_ALL_STATS_RUNNING = 1 << 4;
export const GET_ALL_STATS_PAUSED = 1 << 5;
export const GET_ALL_STATS_NOWAIT = 1 << 29;

/** KubeVirt's GetDomainStats groups (§4.5): BALLOON|CPU_TOTAL|VCPU|INTERFACE|BLOCK|DIRTYRATE. */
export const DOMAIN_STATS_GROUPS =
  STATS_BALLOON | STATS_CPU_TOTAL | STATS_VCPU | STATS_INTERFACE | STATS_BLOCK | STATS_DIRTYRATE;

/** Running and paused domains, without waiting on a domain job. */
export const DOMAIN_STATS_FLAGS = GET_ALL_STATS_RUNNING | GET_ALL_STATS_PAUSED | GET_ALL_STATS_NOWAIT;
