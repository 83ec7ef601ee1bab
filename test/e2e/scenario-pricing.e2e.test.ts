// Seed scenario 2, the pricing round trip: the pricing-assistant agent collects the service and the city, the Price
// Lookup workflow in a real n8n looks the price up in a Code node and writes it to the contact, and the agent quotes
// it in the same turn.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eDir, N8nApi, nodeOutput, repoRoot, waitFor } from './support/n8n';
import { RunningAgentServer, startAgentServer } from './support/agent-server';

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;
let workflowId: string;

function workflowWithCredential(file: string, credentialId: string) {
	const text = readFileSync(path.join(repoRoot, 'docs', 'workflows', file), 'utf8');
	return JSON.parse(text.replaceAll('CREDENTIAL_ID', credentialId));
}

beforeAll(async () => {
	server = await startAgentServer();
	const credential = await n8n.createCredential('Agent Bridge API (pricing)', 'agentBridgeApi', {
		serverUrl: server.url,
		apiKey: server.apiKey,
	});
	workflowId = (await n8n.importWorkflow(workflowWithCredential('price-lookup.json', credential.id))).id;
	await n8n.activate(workflowId);
	// n8n 2.x finishes activation in the background: chat only once the trigger has subscribed.
	await waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === 1, 30_000, 'the trigger to subscribe');
}, 120_000);

afterAll(async () => {
	if (workflowId) await n8n.deactivate(workflowId).catch(() => undefined);
	await server?.stop();
});

async function chat(text: string, conversationId?: string) {
	const res = await server.api('POST', '/v1/chat', { agentId: 'pricing-assistant', text, ...(conversationId ? { conversationId } : {}) });
	expect(res.status).toBe(200);
	return res.body as { conversation: { id: string; status: string }; contact: { id: string }; reply: { text: string }; actions: any[]; waited?: any };
}

async function executionFor(contactId: string) {
	let found: any;
	await waitFor(
		async () => {
			found = (await n8n.executions(workflowId)).find((e) => nodeOutput(e, 'Look Up Price')[0]?.[0]?.contactId === contactId);
			return Boolean(found?.finished);
		},
		30_000,
		'the n8n execution record',
	);
	return found;
}

test('a deep clean in Denver: asked over two turns, quoted $240 in the turn that completed the details', async () => {
	const first = await chat('Hi, how much is a deep clean?');
	expect(first.reply.text).toContain('Which city');
	expect(first.actions.find((a) => a.actionId === 'price_lookup')).toMatchObject({ fired: false });

	const second = await chat("It's a flat in Denver", first.conversation.id);
	expect(second.actions.find((a) => a.actionId === 'price_lookup')).toMatchObject({ fired: true });
	expect(second.waited).toMatchObject({ arrived: true, fields: ['custom_field.quoted_price'] });
	expect(second.reply.text).toBe('A deep clean in Denver is $240, supplies included. You can book it at https://example.com/book-a-clean.');

	const contact = (await server.api('GET', `/v1/contacts/${first.contact.id}`)).body;
	expect(contact.customFields).toMatchObject({ quoted_price: '$240', service_interest: 'deep clean', service_location: 'Denver' });
	const execution = await executionFor(first.contact.id);
	expect(execution.status).toBe('success');
	expect(nodeOutput(execution, 'Look Up Price')[0][0]).toMatchObject({ service: 'deep clean', location: 'Denver', found: true, quotedPrice: '$240' });
	expect(nodeOutput(execution, 'Store Price')[0][0].customFields.quoted_price).toBe('$240');

	const messages = (await server.api('GET', `/v1/conversations/${first.conversation.id}`)).body.messages;
	expect(messages.map((m: any) => m.role)).toEqual(['contact', 'agent', 'contact', 'agent']);
}, 60_000);

test('a move-out clean in Seattle, both given in one message: quoted $350 in the first reply', async () => {
	const only = await chat("What's the price of a move-out clean in Seattle? I'm Priya");
	expect(only.actions.find((a) => a.actionId === 'price_lookup')).toMatchObject({ fired: true });
	expect(only.reply.text).toBe('A move-out clean in Seattle is $350, supplies included. You can book it at https://example.com/book-a-clean.');

	const execution = await executionFor(only.contact.id);
	expect(execution.status).toBe('success');
	expect(nodeOutput(execution, 'Price Requested')[0][0]).toMatchObject({
		type: 'agent.action.triggered',
		action: { id: 'price_lookup' },
		collected: { service: 'move-out clean', location: 'Seattle' },
	});
	const contact = (await server.api('GET', `/v1/contacts/${only.contact.id}`)).body;
	expect(contact.customFields.quoted_price).toBe('$350');
	expect(contact.tags).toContain('interested_pricing');
}, 60_000);
