// Each project's test timeout (jest.config.js `globals.testTimeoutMs`): jest takes `testTimeout` only for the whole run.
// A file's own jest.setTimeout or a test's own timeout still wins.
const ms = globalThis.testTimeoutMs;
if (typeof ms === 'number') jest.setTimeout(ms);
