import { defineConfig } from 'vitest/config';

// KubeVirt's .proto files are imported as text, as esbuild's text loader does in the bundle.
const protoAsText = {
  name: 'proto-as-text',
  enforce: 'pre' as const,
  transform(code: string, id: string) {
    return id.endsWith('.proto') ? { code: `export default ${JSON.stringify(code)};`, map: null } : undefined;
  },
};

// Three levels of the testing ladder (ARCHITECTURE.md). Integration and e2e need root, namespaces
// and real daemons; they run serially because they share the machine's kernel state. `fuzz` runs
// every outside-facing decoder for a fixed budget of inputs (test/fuzz/README.md); `chaos` injects
// faults into running VM pods and prints a table of outcomes (test/chaos/chaos.test.ts).
// Groups run one after the other (sequence.groupOrder), so the CPU-heavy ones (the fuzzers, the
// chaos suite's guests, the image build) never share the machine with timing-sensitive tests:
// 0 unit + fuzz, 1 integration + e2e, 2 chaos, 3 image.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [protoAsText],
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        plugins: [protoAsText],
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          globalSetup: ['test/helpers/require-root.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        plugins: [protoAsText],
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          globalSetup: ['test/helpers/require-root.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        plugins: [protoAsText],
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          testTimeout: 600_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        plugins: [protoAsText],
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          globalSetup: ['test/helpers/require-root.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      // The container image: scripts/build-image, then the e2e boot with vmpod as the container's
      // PID 1 under podman (test/image/image.test.ts). The first run builds the image's base.
      {
        plugins: [protoAsText],
        test: {
          name: 'image',
          include: ['test/image/**/*.test.ts'],
          sequence: { groupOrder: 3 },
          globalSetup: ['test/helpers/require-root.ts'],
          testTimeout: 600_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
