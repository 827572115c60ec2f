// Every method of kubevirt.cmd.v1.Cmd (KUBEVIRT.md §3.2) with its request and response message
// types, in the order of the service definition, plus the handler's client deadline (§3.5).

export const CMD_PACKAGE = 'kubevirt.cmd.v1';
export const CMD_SERVICE = `${CMD_PACKAGE}.Cmd`;
export const CMD_INFO_SERVICE = 'kubevirt.cmd.info.CmdInfo';

export interface CmdMethodSpec {
  readonly name: string;
  /** Message type names, without the package. */
  readonly request: string;
  readonly response: string;
  /** The request carries `vmi` (a VMI message with vmiJson). */
  readonly takesVmi: boolean;
  /** virt-handler's deadline for the call; 'timeout+5' means timeoutSeconds + 5 s. */
  readonly deadline: 5 | 20 | 60 | 'timeout+5';
}

const VMI_REQUESTS = new Set([
  'VMIRequest',
  'FreezeRequest',
  'MigrationRequest',
  'MemoryDumpRequest',
  'InjectLaunchSecretRequest',
  'BackupRequest',
  'RedefineCheckpointRequest',
]);

function m(
  name: string,
  request: string,
  response: string,
  deadline: CmdMethodSpec['deadline'],
): CmdMethodSpec {
  return { name, request, response, takesVmi: VMI_REQUESTS.has(request), deadline };
}

export const CMD_METHODS: readonly CmdMethodSpec[] = [
  m('SyncVirtualMachine', 'VMIRequest', 'Response', 20),
  m('PauseVirtualMachine', 'VMIRequest', 'Response', 20),
  m('UnpauseVirtualMachine', 'VMIRequest', 'Response', 20),
  m('FreezeVirtualMachine', 'FreezeRequest', 'Response', 60),
  m('UnfreezeVirtualMachine', 'VMIRequest', 'Response', 20),
  m('ResetVirtualMachine', 'VMIRequest', 'Response', 20),
  m('SoftRebootVirtualMachine', 'VMIRequest', 'Response', 20),
  m('ShutdownVirtualMachine', 'VMIRequest', 'Response', 20),
  m('KillVirtualMachine', 'VMIRequest', 'Response', 20),
  m('DeleteVirtualMachine', 'VMIRequest', 'Response', 20),
  m('MigrateVirtualMachine', 'MigrationRequest', 'Response', 20),
  m('SyncMigrationTarget', 'VMIRequest', 'Response', 20),
  m('CancelVirtualMachineMigration', 'VMIRequest', 'Response', 20),
  m('SignalTargetPodCleanup', 'VMIRequest', 'Response', 20),
  m('FinalizeVirtualMachineMigration', 'VMIRequest', 'Response', 20),
  m('HotplugHostDevices', 'VMIRequest', 'Response', 20),
  m('GetDomain', 'EmptyRequest', 'DomainResponse', 5),
  m('GetDomainStats', 'EmptyRequest', 'DomainStatsResponse', 5),
  m('GetGuestInfo', 'EmptyRequest', 'GuestInfoResponse', 5),
  m('GetUsers', 'EmptyRequest', 'GuestUserListResponse', 5),
  m('GetFilesystems', 'EmptyRequest', 'GuestFilesystemsResponse', 5),
  m('Ping', 'EmptyRequest', 'Response', 5),
  m('Exec', 'ExecRequest', 'ExecResponse', 'timeout+5'),
  m('GuestPing', 'GuestPingRequest', 'GuestPingResponse', 'timeout+5'),
  m('VirtualMachineMemoryDump', 'MemoryDumpRequest', 'Response', 20),
  m('GetQemuVersion', 'EmptyRequest', 'QemuVersionResponse', 5),
  m('SyncVirtualMachineCPUs', 'VMIRequest', 'Response', 20),
  m('SyncVirtualMachineMemory', 'VMIRequest', 'Response', 20),
  m('GetSEVInfo', 'EmptyRequest', 'SEVInfoResponse', 5),
  m('GetLaunchMeasurement', 'VMIRequest', 'LaunchMeasurementResponse', 5),
  m('InjectLaunchSecret', 'InjectLaunchSecretRequest', 'Response', 20),
  m('GetDomainDirtyRateStats', 'EmptyRequest', 'DirtyRateStatsResponse', 20),
  m('GetScreenshot', 'VMIRequest', 'ScreenshotResponse', 5),
  m('BackupVirtualMachine', 'BackupRequest', 'Response', 20),
  m('RedefineCheckpoint', 'RedefineCheckpointRequest', 'RedefineCheckpointResponse', 20),
  m('GetVMStats', 'VMStatsRequest', 'VMStatsResponse', 5),
];

export function cmdMethodPath(name: string): string {
  return `/${CMD_SERVICE}/${name}`;
}

export function qualified(messageType: string): string {
  return `${CMD_PACKAGE}.${messageType}`;
}
