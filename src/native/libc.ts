import { createRequire } from 'node:module';

// vmpod's whole native surface, in one place: the few libc calls Node has no API for (waitpid on
// a named pid and prctl for PID 1's duties; socket/setsockopt/bind for a DHCP socket bound to one
// interface and for rtnetlink; setns to reach a named network namespace; ioctl to make taps;
// pidfd_open/eventfd/poll to learn at once that a process we did not spawn has exited).
// Loaded through koffi's FFI on first use, so processes that need none pay nothing.

/** A koffi function that can also run on libuv's threadpool: `fn.async(...args, callback)`. */
export interface AsyncCallable<A extends unknown[], R> {
  (...args: A): R;
  async(...args: [...A, (err: unknown, result: R) => void]): void;
}

export interface Libc {
  waitpid(pid: number, status: number[], options: number): number;
  prctl(option: number, arg2: number, arg3: number, arg4: number, arg5: number): number;
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  bind(fd: number, addr: Buffer, length: number): number;
  close(fd: number): number;
  /** Raw ICMPv6 for router advertisements: Node's dgram cannot adopt a SOCK_RAW socket. */
  sendto(
    fd: number,
    buf: Uint8Array,
    length: number,
    flags: number,
    addr: Buffer,
    addrLength: number,
  ): number;
  /** `addrLength` is in/out: [capacity] on entry, [actual length] on return. */
  recvfrom(
    fd: number,
    buf: Buffer,
    length: number,
    flags: number,
    addr: Buffer,
    addrLength: number[],
  ): number;
  /** Blocking receive; SO_RCVTIMEO bounds it (netlink replies from the kernel are immediate). */
  recv(fd: number, buf: Buffer, length: number, flags: number): number;
  /**
   * Variadic, as in C: the third argument is given as a koffi type and a value
   * (`'void *', buffer` for a struct, `'unsigned long', n` for a number).
   */
  ioctl(fd: number, request: number, argType: string, arg: Buffer | number): number;
  /** Moves the calling thread into the namespace open on `fd` (`nstype` e.g. CLONE_NEWNET). */
  setns(fd: number, nstype: number): number;
  if_nametoindex(name: string): number;
  /**
   * A file descriptor for one process (Linux ≥ 5.3), readable once it has exited. glibc ≥ 2.36
   * exports it; older ones reach the syscall directly.
   */
  pidfd_open(pid: number, flags: number): number;
  eventfd(initval: number, flags: number): number;
  write(fd: number, buf: Buffer, length: number): number;
  /**
   * `fds` is an array of `struct pollfd` (8 bytes each: int fd, short events, short revents),
   * filled in place. Run it through `.async` when it may block.
   */
  poll: AsyncCallable<[fds: Buffer, nfds: number, timeoutMs: number], number>;
  /** errno of the last call made through this module. */
  errno(): number;
}

let libc: Libc | undefined;

export function loadLibc(): Libc {
  if (!libc) {
    // koffi is CommonJS with a native addon; it stays outside the bundle.
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): KoffiLib;
      errno(): number;
    };
    const lib = koffi.load('libc.so.6');
    const fn = <K extends keyof Libc>(sig: string) => lib.func(sig) as Libc[K];
    libc = {
      waitpid: fn<'waitpid'>('int waitpid(int pid, _Out_ int *status, int options)'),
      prctl: fn<'prctl'>(
        'int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)',
      ),
      socket: fn<'socket'>('int socket(int domain, int type, int protocol)'),
      setsockopt: fn<'setsockopt'>(
        'int setsockopt(int fd, int level, int name, const void *value, uint32_t length)',
      ),
      bind: fn<'bind'>('int bind(int fd, const void *addr, uint32_t length)'),
      close: fn<'close'>('int close(int fd)'),
      sendto: fn<'sendto'>(
        'intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)',
      ),
      recvfrom: fn<'recvfrom'>(
        'intptr_t recvfrom(int fd, void *buf, size_t len, int flags, void *addr, _Inout_ uint32_t *alen)',
      ),
      recv: fn<'recv'>('intptr_t recv(int fd, void *buf, size_t len, int flags)'),
      setns: fn<'setns'>('int setns(int fd, int nstype)'),
      ioctl: fn<'ioctl'>('int ioctl(int fd, unsigned long request, ...)'),
      if_nametoindex: fn<'if_nametoindex'>('unsigned int if_nametoindex(const char *name)'),
      pidfd_open: pidfdOpen(lib),
      eventfd: fn<'eventfd'>('int eventfd(unsigned int initval, int flags)'),
      write: fn<'write'>('intptr_t write(int fd, const void *buf, size_t len)'),
      // A Buffer is handed to C in place, so revents land in it; errno inside an async callback is
      // the worker thread's (koffi restores it around the callback).
      poll: fn<'poll'>('int poll(void *fds, unsigned long nfds, int timeout)'),
      errno: () => koffi.errno(),
    };
  }
  return libc;
}

interface KoffiLib {
  func(sig: string): unknown;
}

const SYS_PIDFD_OPEN = 434; // the same number on every architecture (Linux 5.3's unified table)

function pidfdOpen(lib: KoffiLib): Libc['pidfd_open'] {
  try {
    return lib.func('int pidfd_open(int pid, unsigned int flags)') as Libc['pidfd_open'];
  } catch {
    // glibc < 2.36: no wrapper, same syscall.
    const syscall = lib.func('long syscall(long number, ...)') as (...args: unknown[]) => number;
    return (pid, flags) => syscall(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', flags);
  }
}
