// One runner for the whole repository: node unit tests, agent server tests, and the real-n8n end-to-end suite.
const { existsSync } = require('node:fs');
const path = require('node:path');

// Jest refuses a missing root, and some test folders are optional.
const existing = (...roots) => roots.filter((r) => existsSync(path.join(__dirname, r.replace('<rootDir>/', ''))));

const transform = {
	'^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
};

// Test timeouts per project, for what its tests do on a busy machine (a loaded 2-core host runs them 5 to 10 times
// slower than a quiet one): never jest's 5 s for a test that builds an app.
const timeout = (ms) => ({ globals: { testTimeoutMs: ms }, setupFilesAfterEnv: ['<rootDir>/test/support/project-timeout.js'] });

module.exports = {
	// The summary reporter writes only when JEST_SUMMARY_FILE is set (.ci/run sets it).
	reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
	projects: [
		{
			displayName: 'nodes',
			testEnvironment: 'node',
			...timeout(15_000),
			transform,
			roots: ['<rootDir>/test/nodes'],
			testMatch: ['**/*.test.ts'],
		},
		{
			displayName: 'server',
			testEnvironment: 'node',
			...timeout(30_000),
			transform,
			roots: existing('<rootDir>/agent-server/src', '<rootDir>/test/server'),
			testMatch: ['**/*.test.ts'],
		},
		{
			// The same server suite on PostgreSQL: every test app gets a fresh schema in the test database. The store
			// and multi-instance tests already run on both databases themselves; conversation tests run their own in-memory SQLite.
			displayName: 'server-pg',
			testEnvironment: 'node',
			...timeout(60_000),
			transform,
			roots: existing('<rootDir>/agent-server/src', '<rootDir>/test/server'),
			testMatch: ['**/*.test.ts'],
			testPathIgnorePatterns: ['/store/', '/agent-tests/', '/delivery/instances\\.test\\.ts$', '/live/instances\\.test\\.ts$', '/test/server/bench\\.test\\.ts$'],
			setupFiles: ['<rootDir>/test/support/postgres-env.js'],
		},
		{
			// Delivery under faults (receiver down, timeouts, crashes, locks, bursts): loopback only, bounded waits.
			displayName: 'faults',
			testEnvironment: 'node',
			...timeout(60_000),
			transform,
			roots: ['<rootDir>/test/faults'],
			testMatch: ['**/*.test.ts'],
		},
		{
			// The web widget and the inspector in a real Chromium (playwright-core), against a local server.
			displayName: 'browser',
			testEnvironment: 'node',
			...timeout(90_000),
			transform,
			roots: ['<rootDir>/test/browser'],
			testMatch: ['**/*.test.ts'],
		},
		{
			// The server as an operator runs it: `npm start`, the built command, the Dockerfile's steps in a clean folder.
			displayName: 'artifact',
			testEnvironment: 'node',
			...timeout(180_000),
			transform,
			roots: ['<rootDir>/test/artifact'],
			testMatch: ['**/*.test.ts'],
		},
		{
			displayName: 'e2e',
			testEnvironment: 'node',
			...timeout(180_000),
			transform,
			roots: ['<rootDir>/test/e2e'],
			testMatch: ['**/*.e2e.test.ts'],
			globalSetup: '<rootDir>/test/e2e/global-setup.ts',
			globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
		},
	],
};
