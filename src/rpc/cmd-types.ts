import { VmpodError } from '../errors.js';

// The messages of kubevirt.cmd.v1 and kubevirt.cmd.info as vmpod's code sees them (KUBEVIRT.md
// §3.3.4–3.3.7): plain objects with the .proto field names as written (keepCase), proto3 defaults
// filled in (empty string, 0, false, [] and {}), 64-bit integers as numbers, bytes as Uint8Array.
// Message-typed fields are optional: proto3 gives them explicit presence.

export interface CmdResponse {
  success: boolean;
  message: string;
}

export interface VmiMessage {
  vmiJson: Uint8Array;
}

export interface SMBios {
  manufacturer: string;
  product: string;
  version: string;
  sku: string;
  family: string;
}

export interface DiskInfo {
  format: string;
  backingFile: string;
  actualSize: number;
  virtualSize: number;
}

export interface ClusterConfig {
  ExpandDisksEnabled: boolean;
  FreePageReportingDisabled: boolean;
  BochsDisplayForEFIGuests: boolean;
  SerialConsoleLogDisabled: boolean;
  PCINUMAAwareTopologyEnabled: boolean;
  VGPULiveMigrationEnabled: boolean;
  GraceIOVirtualizationEnabled: boolean;
}

export interface NumaCell {
  id: number;
  memory?: { amount: number; unit: string };
  pages: { count: number; unit: string; size: number }[];
  distances: { id: number; value: number }[];
  cpus: { id: number; siblings: number[] }[];
}

export interface VirtualMachineOptions {
  VirtualMachineSMBios?: SMBios;
  MemBalloonStatsPeriod: number;
  PreallocatedVolumes: string[];
  topology?: { numa_cells: NumaCell[] };
  DisksInfo: Record<string, DiskInfo>;
  ExpandDisksEnabled: boolean;
  clusterConfig?: ClusterConfig;
  interfaceDomainAttachment: Record<string, string>;
  interfaceMigration: Record<string, { Method: string }>;
  pluginsJson: Uint8Array;
  GraceHostDeviceAliases: string[];
}

export interface VMIRequest {
  vmi?: VmiMessage;
  options?: VirtualMachineOptions;
}

export interface FreezeRequest {
  vmi?: VmiMessage;
  unfreezeTimeoutSeconds: number;
}

export interface ExecRequest {
  domainName: string;
  Command: string;
  Args: string[];
  timeoutSeconds: number;
}

export interface GuestPingRequest {
  domainName: string;
  timeoutSeconds: number;
}

/** MigrationRequest, InjectLaunchSecretRequest, BackupRequest share this shape (options = JSON bytes). */
export interface VmiWithJsonOptions {
  vmi?: VmiMessage;
  options: Uint8Array;
}

export interface MemoryDumpRequest {
  vmi?: VmiMessage;
  dumpPath: string;
}

export interface RedefineCheckpointRequest {
  vmi?: VmiMessage;
  checkpoint: Uint8Array;
}

// biome-ignore lint/complexity/noBannedTypes: EmptyRequest has no fields.
export type EmptyRequest = {};

export interface DomainResponse {
  response?: CmdResponse;
  domain: string;
}

export interface DomainStatsResponse {
  response?: CmdResponse;
  domainStats: string;
}

export interface GuestInfoResponse {
  response?: CmdResponse;
  guestInfoResponse: string;
}

export interface GuestUserListResponse {
  response?: CmdResponse;
  guestUserListResponse: string;
}

export interface GuestFilesystemsResponse {
  response?: CmdResponse;
  guestFilesystemsResponse: string;
}

export interface ExecResponse {
  response?: CmdResponse;
  exitCode: number;
  stdOut: string;
}

export interface GuestPingResponse {
  response?: CmdResponse;
}

export interface QemuVersionResponse {
  response?: CmdResponse;
  version: string;
}

/**
 * What the command server dispatches to, one entry per kubevirt.cmd.v1.Cmd method vmpod
 * implements. A method absent from the object is answered `success=false` with a message naming
 * it as not supported by vmpod. A handler that throws is answered in-band with the error's text,
 * except where KUBEVIRT.md §3.6 makes it a gRPC error (Exec, GuestPing): throw `GrpcStatusError`.
 */
export interface CmdHandlers {
  SyncVirtualMachine?(req: VMIRequest): Promise<CmdResponse>;
  PauseVirtualMachine?(req: VMIRequest): Promise<CmdResponse>;
  UnpauseVirtualMachine?(req: VMIRequest): Promise<CmdResponse>;
  FreezeVirtualMachine?(req: FreezeRequest): Promise<CmdResponse>;
  UnfreezeVirtualMachine?(req: VMIRequest): Promise<CmdResponse>;
  ResetVirtualMachine?(req: VMIRequest): Promise<CmdResponse>;
  SoftRebootVirtualMachine?(req: VMIRequest): Promise<CmdResponse>;
  ShutdownVirtualMachine?(req: VMIRequest): Promise<CmdResponse>;
  KillVirtualMachine?(req: VMIRequest): Promise<CmdResponse>;
  DeleteVirtualMachine?(req: VMIRequest): Promise<CmdResponse>;
  SignalTargetPodCleanup?(req: VMIRequest): Promise<CmdResponse>;
  GetDomain?(req: EmptyRequest): Promise<DomainResponse>;
  GetDomainStats?(req: EmptyRequest): Promise<DomainStatsResponse>;
  GetGuestInfo?(req: EmptyRequest): Promise<GuestInfoResponse>;
  GetUsers?(req: EmptyRequest): Promise<GuestUserListResponse>;
  GetFilesystems?(req: EmptyRequest): Promise<GuestFilesystemsResponse>;
  Ping?(req: EmptyRequest): Promise<CmdResponse>;
  Exec?(req: ExecRequest): Promise<ExecResponse>;
  GuestPing?(req: GuestPingRequest): Promise<GuestPingResponse>;
  GetQemuVersion?(req: EmptyRequest): Promise<QemuVersionResponse>;
}

export type CmdMethodName = keyof CmdHandlers;

/**
 * Thrown by a handler to answer with a gRPC status instead of an in-band Response (KUBEVIRT.md
 * §3.6). `grpcCode` is the numeric gRPC status code (2 = UNKNOWN, as KubeVirt's Exec and GuestPing
 * errors are); the message travels as the status details.
 */
export class GrpcStatusError extends VmpodError {
  readonly grpcCode: number;

  constructor(grpcCode: number, message: string, options: { cause?: unknown } = {}) {
    super('RPC_STATUS', message, { cause: options.cause, facts: { grpcCode } });
    this.name = 'GrpcStatusError';
    this.grpcCode = grpcCode;
  }
}
