import { chmod, chown, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorCode } from '../errors.js';
import type { FileDriver, NetworkDrivers } from './drivers.js';
import { createNetlinkLinkDriver, createProcSysctlDriver } from './netlink-drivers.js';
import { createNftDriver } from './nft-driver.js';
import { createTunTapDriver } from './tap-driver.js';

// The drivers vmpod runs with: links, addresses and routes over rtnetlink, sysctls through
// /proc/sys (netlink-drivers.ts), taps through ioctls on /dev/net/tun (tap-driver.ts), files
// written atomically, nftables through `nft`.

export function createFileDriver(): FileDriver {
  return {
    async read(path) {
      try {
        return await readFile(path, 'utf8');
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return undefined;
        throw err;
      }
    },
    async write(path, content, opts = {}) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${process.pid}`;
      await writeFile(tmp, content);
      await chmod(tmp, opts.mode ?? 0o600); // not subject to the umask, unlike writeFile's mode
      if (opts.uid !== undefined && opts.gid !== undefined) await chown(tmp, opts.uid, opts.gid);
      await rename(tmp, path);
    },
  };
}

/** All drivers for the current namespace, or for the named netns `netns` (tests, tools). */
export function createNetworkDrivers(netns?: string): NetworkDrivers {
  return {
    links: createNetlinkLinkDriver(netns),
    taps: createTunTapDriver(netns),
    sysctls: createProcSysctlDriver(netns),
    files: createFileDriver(),
    nft: createNftDriver(netns),
  };
}
