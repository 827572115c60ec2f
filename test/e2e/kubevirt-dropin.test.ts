import { existsSync, readFileSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildOnce } from '../helpers/build.js';
import { type Guest, buildGuest } from '../helpers/guest.js';
import { type PodConsole, podConsole } from '../helpers/pod-console.js';
import { type Sandbox, type SandboxProcess, createSandbox, waitForFile } from '../helpers/sandbox.js';
import {
  type CmdTestClient,
  type NotifyTestServer,
  connectCmd,
  controllerArgs,
  sendRawCmd,
  startNotifyServer,
  vmiRequest,
} from '../helpers/virt-handler.js';

// vmpod as an unmodified KubeVirt would drive it: the pod's compute container runs
// virt-launcher-monitor with exactly the arguments virt-controller renders (KUBEVIRT.md §1.4.1),
// and a test "virt-handler" that knows only the .proto files talks to it over the command socket
// and records what arrives on its notify socket. The VMI is KubeVirt's own vmi-ephemeral example,
// its container disk the test guest's disk image at the path virt-handler mounts it.

const root = resolve(import.meta.dirname, '../..');
const monitorBin = resolve(root, 'dist/bin/virt-launcher-monitor');
const vmpodBin = resolve(root, 'dist/bin/vmpod');
const example = resolve(root, '../shared/kubevirt-examples/vmi-ephemeral.yaml');

interface DomainJson {
  ObjectMeta: { name: string; namespace: string; uid?: string; deletionTimestamp?: string };
  Spec: {
    Name: string;
    UUID: string;
    Type: string;
    OS: { Type: { Machine: string } };
    Devices: {
      Interfaces: { Alias: { Name: string; UserDefined: boolean }; MAC: { MAC: string } }[] | null;
      Disks: { Alias: { Name: string }; Target: { Device: string } }[] | null;
      Channels: { Target: { Name: string; State: string } }[] | null;
    };
    Metadata: { KubeVirt: { UID: string; GracePeriod: { DeletionGracePeriodSeconds: number } | null } };
  };
  Status: { Status: string; Reason: string };
}

function exampleVmi(namespace: string, uid: string) {
  const vmi = parseYaml(readFileSync(example, 'utf8')) as Record<string, Record<string, unknown>>;
  // What the handler sends: the informer's object, with namespace, uid and a status phase.
  return {
    ...vmi,
    metadata: { ...vmi.metadata, namespace, uid },
    status: { phase: 'Scheduled' },
  };
}

/** The qemu group as the sandbox (which shares the host's /etc/group) knows it: 107 in KubeVirt's image. */
function qemuGroupId(): number {
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('qemu:'));
  const gid = Number(line?.split(':')[2]);
  return Number.isInteger(gid) ? gid : 107;
}

const events = (n: NotifyTestServer) =>
  n.domainEvents.map((e) => ({ type: e.eventType, d: e.domain as DomainJson }));
const lastStatus = (n: NotifyTestServer) => events(n).at(-1)?.d.Status;

interface Mode {
  readonly title: string;
  readonly nonRoot: boolean;
}

function dropInFlow(mode: Mode) {
  const name = 'vmi-ephemeral';
  const namespace = mode.nonRoot ? 'nonroot' : 'default';
  const uid = mode.nonRoot ? '7b2c3d4e-0000-4000-8000-0000000000e2' : '7b2c3d4e-0000-4000-8000-0000000000e1';
  const domainName = `${namespace}_${name}`;
  let guest: Guest;
  let sb: Sandbox;
  let pod: SandboxProcess;
  let pid1: number;
  let handler: CmdTestClient;
  let notify: NotifyTestServer;
  let console_: PodConsole;
  const socketPath = () => `/proc/${pid1}/root/run/kubevirt/sockets/launcher-sock`;

  describe(mode.title, () => {
    beforeAll(async () => {
      await buildOnce();
      guest = await buildGuest();
      sb = await createSandbox({
        ip: mode.nonRoot ? '10.244.0.32/24' : '10.244.0.31/24',
        gateway: '10.244.0.1',
        hostname: name,
      });
      const setup = [
        // What virt-handler and the container-disk sidecar leave in the pod before the launcher runs.
        'cp "$0" /run/kubevirt/container-disks/disk_0.img',
      ];
      let cmd: string[];
      if (mode.nonRoot) {
        // virt-handler builds the pod network (phase 1) as root; the launcher runs as qemu (107)
        // with only NET_BIND_SERVICE, as KubeVirt's non-root pods do (§1.4.3, §10.3).
        const gid = qemuGroupId();
        setup.push(
          `"$1" pod-network --interface default --owner 107 --group ${gid}`,
          `chown -R 107:${gid} /run/kubevirt /run/kubevirt-private /run/kubevirt-ephemeral-disks /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt`,
          'shift',
          `exec setpriv --reuid 107 --regid ${gid} --clear-groups --inh-caps +net_bind_service --ambient-caps +net_bind_service "$@"`,
        );
        cmd = [
          'sh',
          '-c',
          setup.join(' && '),
          guest.disk,
          vmpodBin,
          monitorBin,
          ...controllerArgs({ name, namespace, uid, extra: ['--run-as-nonroot'] }),
        ];
      } else {
        setup.push('shift', 'exec "$@"');
        cmd = [
          'sh',
          '-c',
          setup.join(' && '),
          guest.disk,
          vmpodBin,
          monitorBin,
          ...controllerArgs({ name, namespace, uid }),
        ];
      }
      const env: Record<string, string> = { POD_NAME: `virt-launcher-${name}-abcde` };
      if (mode.nonRoot) {
        Object.assign(env, {
          XDG_RUNTIME_DIR: '/var/run',
          XDG_CONFIG_HOME: '/var/run/kubevirt-private',
          XDG_CACHE_HOME: '/var/run/kubevirt-private',
        });
      }
      pod = sb.start(cmd, { env });
      pid1 = await pod.pid1();
      console_ = podConsole(pid1, uid, pod);
      const share = `/proc/${pid1}/root/run/kubevirt`;
      await waitForFile(`${share}/sockets/launcher-sock`, pod, 60_000);
      notify = await startNotifyServer(`${share}/domain-notify-pipe.sock`);
      // virt-handler hands a non-root launcher its notify socket (§10.3).
      if (mode.nonRoot) await chown(`${share}/domain-notify-pipe.sock`, 107, qemuGroupId());
      handler = await connectCmd(`${share}/sockets/launcher-sock`);
    });

    afterAll(async () => {
      handler?.close();
      await notify?.close();
      await sb?.destroy();
    });

    it('is ready only through launcher-sock, answers Info with [1] and Ping', async () => {
      const share = `/proc/${pid1}/root/run/kubevirt/sockets`;
      expect(existsSync(`${share}/launcher-init-sock`)).toBe(false);
      expect(await handler.info()).toEqual([1]);
      expect(await handler.Ping()).toMatchObject({ success: true });
      const ps = await sb.execOk(['ps', '-eo', 'pid=,uid=,comm=']);
      const rows = ps
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/));
      const byComm = Object.fromEntries(rows.map(([pid, u, comm]) => [comm, { pid, uid: u }]));
      expect(byComm['virt-launcher-m']?.pid).toBe('1');
      expect(byComm['virt-launcher']?.uid).toBe(mode.nonRoot ? '107' : '0');
    });

    it('syncs KubeVirt’s vmi-ephemeral example: ADDED, then MODIFIED Running with well-formed domain JSON', async () => {
      const res = await handler.SyncVirtualMachine(vmiRequest(exampleVmi(namespace, uid)));
      expect(res, String(res.message)).toMatchObject({ success: true });
      await notify.waitFor((n) => events(n).some((e) => e.type === 'ADDED'), 30_000);
      await notify.waitFor(
        (n) => events(n).some((e) => e.type === 'MODIFIED' && e.d.Status.Status === 'Running'),
        60_000,
      );
      const first = events(notify)[0];
      expect(first?.type).toBe('ADDED');
      const running = events(notify).find((e) => e.d.Status.Status === 'Running')?.d as DomainJson;
      expect(running.ObjectMeta).toMatchObject({ name, namespace, uid });
      expect(running.Spec.Name).toBe(domainName);
      expect(running.Spec.Type).toBe('qemu');
      expect(running.Spec.Metadata.KubeVirt.UID).toBe(uid);
      expect(running.Spec.Metadata.KubeVirt.GracePeriod?.DeletionGracePeriodSeconds).toBe(0);
      expect(running.Spec.OS.Type.Machine).toMatch(/q35/);
      const iface = running.Spec.Devices.Interfaces?.[0];
      expect(iface?.Alias).toEqual({ Name: 'default', UserDefined: true });
      expect(iface?.MAC.MAC).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      const disk = running.Spec.Devices.Disks?.[0];
      expect(disk?.Alias).toMatchObject({ Name: 'containerdisk', UserDefined: true });
      expect(disk?.Target.Device).toBe('vda');
    });

    it('boots the guest, which gets the pod IP from vmpod’s DHCP', async () => {
      await console_.waitFor('booted', 180_000);
      const bound = (await console_.waitFor('dhcp-bound', 120_000)) as { lease: { ip: string } };
      expect(bound.lease.ip).toBe(mode.nonRoot ? '10.244.0.32' : '10.244.0.31');
    });

    it('GetDomain and GetDomainStats answer with the domain and its stats', async () => {
      const got = await handler.GetDomain();
      expect(got.response).toMatchObject({ success: true });
      const d = JSON.parse(got.domain as string) as DomainJson;
      expect(d.Status).toEqual(expect.objectContaining({ Status: 'Running' }));
      expect(d.ObjectMeta).toMatchObject({ name, namespace });
      const stats = await handler.GetDomainStats();
      expect(stats.response).toMatchObject({ success: true });
      const s = JSON.parse(stats.domainStats as string) as {
        Name: string;
        Cpu: { TimeSet: boolean };
        Vcpu: unknown[];
      };
      expect(s.Name).toBe(domainName);
      expect(s.Cpu.TimeSet).toBe(true);
      expect(s.Vcpu.length).toBeGreaterThan(0);
    });

    it('runs commands through the guest agent (GuestPing, Exec, GetGuestInfo)', async () => {
      const until = Date.now() + 120_000;
      for (;;) {
        const ok = await handler.GuestPing({ domainName, timeoutSeconds: 5 }).then(
          () => true,
          () => false,
        );
        if (ok) break;
        if (Date.now() > until) throw new Error('the guest agent never answered GuestPing');
        await new Promise((r) => setTimeout(r, 1000));
      }
      const out = await handler.Exec({
        domainName,
        Command: '/bin/echo',
        Args: ['hello', 'handler'],
        timeoutSeconds: 10,
      });
      expect(out).toMatchObject({ response: { success: true }, exitCode: 0, stdOut: 'hello handler\n' });
      const failed = await handler.Exec({
        domainName,
        Command: '/bin/sh',
        Args: ['-c', 'exit 3'],
        timeoutSeconds: 10,
      });
      expect(failed).toMatchObject({ exitCode: 3 });
      // The pollers started on the agent's CONNECTED event: GetGuestInfo reads what they learned.
      const infoUntil = Date.now() + 60_000;
      let info: { guestAgentVersion?: string; os?: { id?: string }; hostname?: string } = {};
      while (!info.guestAgentVersion || !info.os?.id) {
        if (Date.now() > infoUntil) throw new Error(`GetGuestInfo never filled in: ${JSON.stringify(info)}`);
        await new Promise((r) => setTimeout(r, 500));
        const res = await handler.GetGuestInfo();
        expect(res.response).toMatchObject({ success: true });
        info = JSON.parse(res.guestInfoResponse as string);
      }
      expect(info.os?.id).toBe('vmpod-guest');
      expect(info.hostname).toBe(name);
      // The compatibility entry points, run inside the pod as kubelet's exec probes and the freeze
      // hooks run them.
      const probe = resolve(root, 'dist/bin/virt-probe');
      const agentPing = await sb.exec([
        probe,
        '--domainName',
        domainName,
        '--timeoutSeconds',
        '5',
        '--guestAgentPing',
      ]);
      expect(agentPing.code, agentPing.stderr).toBe(0);
      const execProbe = await sb.exec([
        probe,
        '--domainName',
        domainName,
        '--timeoutSeconds',
        '5',
        '--command',
        '/bin/sh',
        '--',
        '-c',
        'exit 0',
      ]);
      expect(execProbe.code, execProbe.stderr).toBe(0);
      const freezer = resolve(root, 'dist/bin/virt-freezer');
      for (const op of ['--freeze', '--unfreeze']) {
        const r = await sb.exec([freezer, op, '--name', name, '--namespace', namespace]);
        expect(r.code, `${op}: ${r.stderr}`).toBe(0);
      }
    });

    it('soft-reboots through the guest agent, and resets', async () => {
      const count = (kind: string) =>
        console_
          .text()
          .split('\n')
          .filter((l) => l.includes(`VMPOD-GUEST ${kind}`)).length;
      const waitCount = async (kind: string, n: number, ms: number) => {
        const until = Date.now() + ms;
        while (count(kind) < n) {
          if (Date.now() > until) throw new Error(`fewer than ${n} "${kind}" lines:\n${console_.text()}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      };
      const readyBefore = count('ready');
      // virt-handler's VMI says the agent is connected: the reboot goes through it (§4.3).
      const withAgent = {
        ...exampleVmi(namespace, uid),
        status: { phase: 'Running', conditions: [{ type: 'AgentConnected', status: 'True' }] },
      };
      expect(await handler.SoftRebootVirtualMachine(vmiRequest(withAgent))).toMatchObject({ success: true });
      await waitCount('reboot', 1, 30_000);
      await waitCount('ready', readyBefore + 1, 120_000);
      expect(await handler.ResetVirtualMachine(vmiRequest(exampleVmi(namespace, uid)))).toMatchObject({
        success: true,
      });
      await waitCount('booted', 3, 120_000);
      await waitCount('ready', readyBefore + 2, 120_000);
    });

    it('pauses and unpauses, and the handler hears of both', async () => {
      expect(await handler.PauseVirtualMachine(vmiRequest(exampleVmi(namespace, uid)))).toMatchObject({
        success: true,
      });
      await notify.waitFor((n) => lastStatus(n)?.Status === 'Paused', 20_000);
      expect(lastStatus(notify)).toMatchObject({ Status: 'Paused', Reason: 'User' });
      // A Sync while paused on request leaves it paused.
      expect(await handler.SyncVirtualMachine(vmiRequest(exampleVmi(namespace, uid)))).toMatchObject({
        success: true,
      });
      expect(JSON.parse((await handler.GetDomain()).domain as string).Status.Status).toBe('Paused');
      expect(await handler.UnpauseVirtualMachine(vmiRequest(exampleVmi(namespace, uid)))).toMatchObject({
        success: true,
      });
      await notify.waitFor((n) => lastStatus(n)?.Status === 'Running', 20_000);
    });

    it('answers malformed input in-band and keeps serving', async () => {
      const bad = await handler.SyncVirtualMachine(vmiRequest('{not json'));
      expect(bad).toMatchObject({ success: false });
      expect(String(bad.message)).toContain('No valid vmi object');
      const other = await handler.PauseVirtualMachine(
        vmiRequest({ metadata: { name: 'someone-else', namespace, uid: 'x' } }),
      );
      expect(other).toMatchObject({ success: false });
      expect(String(other.message).length).toBeGreaterThan(0);
      const unsupported = await handler.MigrateVirtualMachine(vmiRequest(exampleVmi(namespace, uid)));
      expect(unsupported).toMatchObject({ success: false });
      expect(String(unsupported.message)).toContain('MigrateVirtualMachine');
      // Bytes that are no protobuf at all: field 1 claims 100 bytes and 2 follow.
      const raw = await sendRawCmd(
        socketPath(),
        'SyncVirtualMachine',
        Uint8Array.from([0x0a, 0x64, 0x01, 0x02]),
      );
      expect(raw[0]).toBe(0x12); // Response{message: …}, success absent (false)
      expect(raw.subarray(2).toString()).toContain('kubevirt.cmd.v1.VMIRequest');
      const pings = await Promise.all(Array.from({ length: 50 }, () => handler.GetDomain()));
      expect(pings.every((p) => (p.response as { success: boolean }).success)).toBe(true);
    });

    it('shuts the guest down through ACPI, then Kill and Delete; the domain-gone notification arrives and the pod exits 0', async () => {
      expect(await handler.ShutdownVirtualMachine(vmiRequest(exampleVmi(namespace, uid)))).toMatchObject({
        success: true,
      });
      await console_.waitFor('poweroff', 60_000);
      await notify.waitFor((n) => lastStatus(n)?.Status === 'Shutoff', 30_000);
      expect(lastStatus(notify)).toMatchObject({ Status: 'Shutoff', Reason: 'Shutdown' });
      const afterShutdown = events(notify).at(-1)?.d as DomainJson;
      expect(afterShutdown.Spec.Metadata.KubeVirt.GracePeriod).toMatchObject({
        DeletionTimestamp: expect.any(String),
      });
      expect(await handler.KillVirtualMachine(vmiRequest(exampleVmi(namespace, uid)))).toMatchObject({
        success: true,
      });
      expect(await handler.DeleteVirtualMachine(vmiRequest(exampleVmi(namespace, uid)))).toMatchObject({
        success: true,
      });
      await notify.waitFor(
        (n) => events(n).some((e) => e.d.ObjectMeta.deletionTimestamp !== undefined),
        20_000,
      );
      const gone = events(notify).find((e) => e.d.ObjectMeta.deletionTimestamp !== undefined);
      expect(gone?.type).toBe('MODIFIED');
      expect(gone?.d.Status).toMatchObject({ Status: 'NoState', Reason: 'NonExistent' });
      expect(gone?.d.ObjectMeta).toMatchObject({ name, namespace, uid });
      const exit = await pod.wait(60_000);
      expect(exit.code, pod.output()).toBe(0);
      const lines = pod.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.find((o) => o.msg === 'final notification wait ended')).toMatchObject({ outcome: 'sent' });
      expect(lines.find((o) => o.msg === 'virt-launcher-monitor exiting')).toMatchObject({ exitCode: 0 });
    });
  });
}

dropInFlow({
  title: 'root mode: virt-launcher-monitor with virt-controller’s arguments, driven by a test virt-handler',
  nonRoot: false,
});

dropInFlow({
  title: 'non-root mode: the same, with the launcher as qemu (107) and only NET_BIND_SERVICE',
  nonRoot: true,
});
