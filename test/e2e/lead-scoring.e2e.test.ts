// The seed's lead qualification chain, end to end: a contact chats with the lead-qualifier agent, the AI Agent
// Trigger starts the Lead Scoring workflow in a real n8n, Score Lead and Contact write the score and a tag, and the
// agent's next reply reads the score.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eDir, N8nApi, nodeOutput, repoRoot, waitFor } from './support/n8n';
import { RunningAgentServer, startAgentServer } from './support/agent-server';

const HOT_REPLY = 'Great news! Let me connect you with a specialist. When works best for a quick call?';
const NURTURE_REPLY = "Thanks for your interest! I'll send you some resources that might help.";

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;
let workflowId: string;
let bookingWorkflowId: string;

function workflowWithCredential(file: string, credentialId: string) {
	const text = readFileSync(path.join(repoRoot, 'docs', 'workflows', file), 'utf8');
	return JSON.parse(text.replaceAll('CREDENTIAL_ID', credentialId));
}

beforeAll(async () => {
	server = await startAgentServer();
	const credential = await n8n.createCredential('Agent Bridge API', 'agentBridgeApi', {
		serverUrl: server.url,
		apiKey: server.apiKey,
	});
	workflowId = (await n8n.importWorkflow(workflowWithCredential('lead-scoring.json', credential.id))).id;
	bookingWorkflowId = (await n8n.importWorkflow(workflowWithCredential('appointment-booked.json', credential.id))).id;
	await n8n.activate(workflowId);
	await n8n.activate(bookingWorkflowId);
	// n8n 2.x finishes activation in the background: wait until both triggers have subscribed.
	await waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === 2, 30_000, 'the triggers to subscribe');
}, 120_000);

afterAll(async () => {
	await server?.stop();
});

async function chat(text: string, conversationId?: string) {
	const res = await server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text, ...(conversationId ? { conversationId } : {}) });
	expect(res.status).toBe(200);
	return res.body as { conversation: { id: string }; contact: { id: string }; reply: { text: string }; actions: any[] };
}

async function runChain(budgetAndTimeline: string) {
	const first = await chat("Hi, I'm Dana and I need a new website for my bakery");
	const conversationId = first.conversation.id;
	const contactId = first.contact.id;
	// The agent fires lead_scoring and waits for the workflow to write lead_score before it answers.
	const second = await chat(budgetAndTimeline, conversationId);
	expect(second.actions.find((a) => a.actionId === 'lead_scoring')).toMatchObject({ fired: true });
	// The reply waited for lead_score only; the tag comes from the workflow's next node, a moment later.
	let contact: any;
	await waitFor(
		async () => {
			contact = (await server.api('GET', `/v1/contacts/${contactId}`)).body;
			return contact.tags.some((t: string) => t.endsWith('_lead'));
		},
		30_000,
		'the workflow to tag the lead',
	);
	return { conversationId, contactId, contact, scoredReply: second.reply.text };
}

async function executionFor(contactId: string) {
	let found: any;
	await waitFor(
		async () => {
			const executions = await n8n.executions(workflowId);
			found = executions.find((e) => nodeOutput(e, 'Score Lead')[0]?.[0]?.contactId === contactId);
			return Boolean(found?.finished);
		},
		30_000,
		'the n8n execution record',
	);
	return found;
}

test('a hot lead: scored >= 7 in n8n, tagged hot_lead, the agent offers a specialist, and booking runs Appointment Booked', async () => {
	const { conversationId, contactId, contact, scoredReply } = await runChain(
		"Our budget is $25,000 and we'd like to launch within 1 month",
	);

	expect(Number(contact.customFields.lead_score)).toBeGreaterThanOrEqual(7);
	expect(contact.tags).toContain('hot_lead');
	expect(contact.tags).not.toContain('nurture_lead');
	expect(contact.customFields.budget_range).toBeDefined();
	expect(contact.customFields.project_timeline).toBeDefined();
	expect(scoredReply).toBe(HOT_REPLY);

	const execution = await executionFor(contactId);
	expect(execution.status).toBe('success');
	const score = nodeOutput(execution, 'Score Lead')[0][0];
	expect(score.score).toBe(Number(contact.customFields.lead_score));
	expect(nodeOutput(execution, 'Tag Hot Lead')[0]).toHaveLength(1);
	expect(nodeOutput(execution, 'Tag Nurture Lead')).toEqual([]);
	const trigger = nodeOutput(execution, 'Lead Scoring Requested')[0][0];
	expect(trigger).toMatchObject({ type: 'agent.action.triggered', conversationId, contactId, action: { id: 'lead_scoring' } });
	expect(trigger.transcript.length).toBeGreaterThanOrEqual(3);

	// The hot lead books: the Appointment Booked workflow tags the contact and confirms in the conversation.
	const booking = await chat('Tomorrow at 10am works, please book a call', conversationId);
	expect(booking.actions.find((a) => a.actionId === 'appointment_booked')).toMatchObject({ fired: true });
	let conversation: any;
	await waitFor(
		async () => {
			conversation = (await server.api('GET', `/v1/conversations/${conversationId}`)).body;
			return conversation.messages.some((m: any) => m.source === 'workflow');
		},
		30_000,
		'the booking confirmation from the workflow',
	);
	const texts = conversation.messages.map((m: any) => `${m.role}: ${m.text}`);
	expect(texts).toEqual([
		"contact: Hi, I'm Dana and I need a new website for my bakery",
		expect.stringMatching(/^agent: .*budget/),
		"contact: Our budget is $25,000 and we'd like to launch within 1 month",
		`agent: ${HOT_REPLY}`,
		'contact: Tomorrow at 10am works, please book a call',
		expect.stringMatching(/^agent: Perfect, Dana!/),
		"agent: You're booked, Dana! A specialist will call you at the time you chose; the invite is on its way.",
	]);
	expect((await server.api('GET', `/v1/contacts/${contactId}`)).body.tags).toContain('appointment_booked');
	const timeline = conversation.timeline.map((e: any) => e.kind);
	expect(timeline).toEqual(expect.arrayContaining(['workflow.reply']));
}, 120_000);

test('a nurture lead: scored below 7, tagged nurture_lead, and the agent sends resources', async () => {
	const { contactId, contact, scoredReply } = await runChain("We only have about $500 and maybe next year");

	expect(Number(contact.customFields.lead_score)).toBeLessThan(7);
	expect(contact.tags).toContain('nurture_lead');
	expect(contact.tags).not.toContain('hot_lead');
	expect(scoredReply).toBe(NURTURE_REPLY);

	const execution = await executionFor(contactId);
	expect(execution.status).toBe('success');
	expect(nodeOutput(execution, 'Tag Nurture Lead')[0]).toHaveLength(1);
	expect(nodeOutput(execution, 'Tag Hot Lead')).toEqual([]);
}, 120_000);

test('the trigger in n8n answers 401 to a tampered or stale event and starts nothing', async () => {
	const subscription = (await server.api('GET', '/v1/subscriptions')).body.data.find((sub: any) => sub.filters.actionId === 'lead_scoring');
	let before = 0;
	await waitFor(
		async () => {
			const executions = await n8n.executions(workflowId);
			before = executions.length;
			return executions.every((e) => e.finished);
		},
		30_000,
		'earlier runs to finish',
	);
	const body = JSON.stringify({ id: 'evt_forged', type: 'agent.action.triggered', contact: { id: 'ct_x' } });
	const now = Math.floor(Date.now() / 1000);
	const forged = [
		{ 'webhook-id': 'msg_forged1', 'webhook-timestamp': String(now), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
		{ 'webhook-id': 'msg_forged2', 'webhook-timestamp': String(now - 3600), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
		{ 'webhook-id': 'msg_forged3' },
	];
	for (const headers of forged) {
		const res = await fetch(subscription.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
		expect(res.status).toBe(401);
	}
	await new Promise((r) => setTimeout(r, 1000));
	expect(await n8n.executions(workflowId)).toHaveLength(before);
}, 60_000);

test('re-activation subscribes again after the server lost the subscription', async () => {
	const lost = (await server.api('GET', '/v1/subscriptions')).body.data.find((sub: any) => sub.filters.actionId === 'lead_scoring');
	expect((await server.api('DELETE', `/v1/subscriptions/${lost.id}`)).status).toBe(204);
	await n8n.deactivate(workflowId); // the node's delete tolerates the missing subscription
	await n8n.activate(workflowId);
	await waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === 2, 30_000, 'the new subscription');
	const fresh = (await server.api('GET', '/v1/subscriptions')).body.data.find((sub: any) => sub.filters.actionId === 'lead_scoring');
	expect(fresh.id).not.toBe(lost.id);

	const { contact } = await runChain("Our budget is $40,000 and we'd like to launch within 2 weeks");
	expect(contact.tags).toContain('hot_lead');
}, 120_000);

test('deactivating the workflows removes their subscriptions from the agent server', async () => {
	const before = (await server.api('GET', '/v1/subscriptions')).body.data;
	expect(before).toHaveLength(2);
	for (const sub of before) expect(sub.url).toContain('/webhook/');
	await n8n.deactivate(workflowId);
	await n8n.deactivate(bookingWorkflowId);
	await waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === 0, 15_000, 'unsubscribe');
}, 60_000);
