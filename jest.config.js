// Two projects: unit tests beside the code, the docs and the bench helpers they check (no servers) and e2e tests that run
// against the real local control plane and backends (see e2e/README.md).
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
  // etcd's snapshot files under e2e/.run look like jest snapshots.
  modulePathIgnorePatterns: ['<rootDir>/e2e/.run/'],
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/src/**/*.test.ts',
        '<rootDir>/docs/**/*.test.ts',
        '<rootDir>/bench/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.e2e.test.ts'],
      // The resolver makes *.localhost (the Key Vault test server's names) reach 127.0.0.1 in this process.
      setupFiles: ['<rootDir>/e2e/support/load-env.ts', '<rootDir>/e2e/support/localhost-resolver.mjs'],
      // Attaches the operators' log tails to a failed test's report.
      testEnvironment: '<rootDir>/e2e/support/operator-log-environment.mjs',
      // Real servers: a sync, a Lease takeover or a watch restart takes seconds.
      testTimeout: 60_000,
    },
  ],
};
