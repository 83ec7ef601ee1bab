// Conversation Ended and Tag Added triggers against a real n8n: one conversation adds the interested_pricing tag and
// is then ended; each workflow runs exactly once and writes what it received back to the contact.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eDir, N8nApi, repoRoot, waitFor } from './support/n8n';
import { RunningAgentServer, startAgentServer } from './support/agent-server';

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;
const workflowIds: string[] = [];

function workflowWithCredential(file: string, credentialId: string) {
	const text = readFileSync(path.join(repoRoot, 'docs', 'workflows', file), 'utf8');
	return JSON.parse(text.replaceAll('CREDENTIAL_ID', credentialId));
}

beforeAll(async () => {
	server = await startAgentServer();
	const credential = await n8n.createCredential('Agent Bridge API', 'agentBridgeApi', { serverUrl: server.url, apiKey: server.apiKey });
	for (const file of ['conversation-ended.json', 'tag-added.json']) {
		const workflow = await n8n.importWorkflow(workflowWithCredential(file, credential.id));
		workflowIds.push(workflow.id);
		await n8n.activate(workflow.id);
	}
	// n8n 2.x finishes activation in the background: wait until both triggers have subscribed.
	await waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === 2, 30_000, 'both triggers to subscribe');
}, 120_000);

afterAll(async () => {
	for (const id of workflowIds) await n8n.deactivate(id).catch(() => undefined);
	await server?.stop();
});

test('one conversation: Tag Added and Conversation Ended each run exactly once', async () => {
	const chat = async (text: string, conversationId?: string) =>
		(await server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text, ...(conversationId ? { conversationId } : {}) })).body;
	const first = await chat("Hi, I'm Dana. What's the price of a new website?");
	const conversationId = first.conversation.id;
	const contactId = first.contact.id;
	await chat('And the pricing for an app, roughly?', conversationId);
	const end = await server.api('POST', `/v1/conversations/${conversationId}/end`, {});
	expect(end.status).toBe(200);
	expect(end.body.ending).toMatchObject({ reason: 'closed', outcome: 'interested' });

	let contact: any;
	await waitFor(
		async () => {
			contact = (await server.api('GET', `/v1/contacts/${contactId}`)).body;
			return contact.customFields.last_outcome !== undefined && contact.customFields.pricing_followup !== undefined;
		},
		60_000,
		'both workflows to write back',
	);
	expect(contact.customFields).toMatchObject({ last_outcome: 'interested', pricing_followup: 'interested_pricing' });

	// Give n8n time to run a duplicate, if there were one.
	await new Promise((r) => setTimeout(r, 3000));
	for (const id of workflowIds) {
		const executions = await n8n.executions(id);
		expect(executions.filter((e: any) => e.status === 'success')).toHaveLength(1);
	}
}, 120_000);
