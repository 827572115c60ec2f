// Integration and e2e tests drive the real kernel and real daemons: they need root, and fail
// loudly without it instead of skipping (CI runs them as root).
export default function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('integration and e2e tests need root: run them as root (CI does), e.g. sudo npm test');
  }
}
