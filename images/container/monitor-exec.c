/*
 * /usr/bin/virt-launcher-monitor in vmpod's image: the one native file of the image.
 *
 * KubeVirt gives its monitor binary the file capability cap_net_bind_service (KUBEVIRT.md §10.1)
 * so that a non-root compute container (uid 107, capabilities dropped but NET_BIND_SERVICE kept
 * in the bounding set) can still serve the guest's DHCP on port 67. vmpod's monitor is JavaScript
 * started through a `#!/usr/bin/env -S node` script, and the kernel ignores file capabilities on
 * scripts, so this tiny program carries them: it is what `setcap` marks, and it
 *   1. raises CAP_NET_BIND_SERVICE into its inheritable and ambient sets when it holds it
 *      (from the file capability, or because it runs as root), so that the capability survives
 *      the exec of node and reaches the launcher and virtqemud, which the monitor starts;
 *   2. execs the bundled entry /usr/lib/vmpod/bin/virt-launcher-monitor with the same arguments.
 * It does nothing else, and when it does not hold the capability it just execs.
 */
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ENTRY "/usr/lib/vmpod/bin/virt-launcher-monitor"

int main(int argc, char **argv) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  const unsigned bit = 1u << CAP_NET_BIND_SERVICE; /* < 32: lives in data[0] */
  if (syscall(SYS_capget, &hdr, data) == 0 && (data[0].permitted & bit)) {
    data[0].inheritable |= bit;
    if (syscall(SYS_capset, &hdr, data) == 0)
      prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0);
  }
  (void)argc;
  argv[0] = ENTRY;
  execv(ENTRY, argv);
  perror("virt-launcher-monitor: exec " ENTRY);
  return 127;
}
