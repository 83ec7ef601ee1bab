// The seed's warning made real: a workflow that re-adds the tag that started it would run forever. The loop guard
// stops it at the causation depth limit (5), and the conversation's timeline says why, with the chain.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RunningAgentServer, startAgentServer } from './support/agent-server';
import { e2eDir, N8nApi, nodeOutput, repoRoot, waitFor } from './support/n8n';

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;
let workflowId: string;

beforeAll(async () => {
	server = await startAgentServer();
	const credential = await n8n.createCredential('Agent Bridge API', 'agentBridgeApi', { serverUrl: server.url, apiKey: server.apiKey });
	const text = readFileSync(path.join(repoRoot, 'docs', 'workflows', 'circular-chain.json'), 'utf8').replaceAll('CREDENTIAL_ID', credential.id);
	workflowId = (await n8n.importWorkflow(JSON.parse(text))).id;
	await n8n.activate(workflowId);
	await waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === 1, 30_000, 'the trigger to subscribe');
}, 120_000);

afterAll(async () => {
	await n8n.deactivate(workflowId).catch(() => undefined);
	await server?.stop();
});

test('a workflow that re-triggers itself runs up to the depth limit, then the loop is locked with a visible reason', async () => {
	const chat = await server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text: 'I need a new website ASAP' });
	const conversationId = chat.body.conversation.id;

	let timeline: any[] = [];
	await waitFor(
		async () => {
			timeline = (await server.api('GET', `/v1/conversations/${conversationId}`)).body.timeline;
			return timeline.some((e) => e.kind === 'loop.blocked');
		},
		60_000,
		'the loop guard',
	);
	const lock = timeline.find((e) => e.kind === 'loop.blocked');
	expect(lock.detail).toMatchObject({ label: 'loop locked', eventType: 'contact.tag.added', depth: 6 });
	expect(lock.detail.reason).toMatch(/past the limit of 5/);
	expect(lock.detail.chain).toHaveLength(6);
	expect(lock.detail.chain.map((l: any) => l.depth)).toEqual([0, 1, 2, 3, 4, 5]);

	// One run per event in the chain, then nothing more.
	await waitFor(async () => (await n8n.executions(workflowId)).filter((e) => e.finished).length === 6, 30_000, 'six runs');
	await new Promise((r) => setTimeout(r, 2000));
	const executions = await n8n.executions(workflowId);
	expect(executions).toHaveLength(6);
	const depths = executions.map((e) => nodeOutput(e, 'Urgent Tag Added')[0][0].causation.depth).sort();
	expect(depths).toEqual([0, 1, 2, 3, 4, 5]);
}, 120_000);
