// The first message a fresh process reads: one-time preparation (compiling the readers' patterns, the date library)
// is not charged to that message's extraction budget, so it gets every field it states. Each case is its own process.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '..', '..', '..');
const run = promisify(execFile);

const READ_FIRST_MESSAGE = `
const { extractFields } = require('./agent-server/src/engine/extract');
const { loadAgents } = require('./agent-server/src/agents/agent-files');
const [agentId, text] = process.argv.slice(-2);
process.stdout.write(JSON.stringify(extractFields(loadAgents().get(agentId), text)));
`;

async function firstReading(agentId: string, text: string): Promise<Record<string, string>> {
	const { stdout } = await run(path.join(root, 'node_modules', '.bin', 'tsx'), ['-e', READ_FIRST_MESSAGE, agentId, text], { cwd: root, timeout: 60_000 });
	return JSON.parse(stdout);
}

describe('the first message of a fresh process', () => {
	test('gets every field it states, the budget included', async () => {
		expect(await firstReading('lead-qualifier', "Hi, I'm Dana and I need a new website, budget $10,000")).toEqual({
			service_needed: 'website',
			budget: '$10,000',
			name: 'Dana',
		});
	}, 70_000);

	test('in another language gets its fields too', async () => {
		expect(await firstReading('lead-qualifier', 'Hallo, ich bin Jonas, wir brauchen eine Webseite, Budget 8.000 €, Start nächsten Monat')).toMatchObject({
			service_needed: 'website',
			budget: '€8,000',
			timeline: 'nächsten Monat',
			name: 'Jonas',
		});
	}, 70_000);
});
