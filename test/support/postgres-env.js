// Runs the server suite's test apps on PostgreSQL (see buildTestApp in agent-server/src/testing/harness.ts).
process.env.AGENT_BRIDGE_TEST_DATABASE = 'postgres';
