// The seed's post-conversation follow-up against a real n8n: four conversations end with the four outcomes and each
// takes its own branch of docs/workflows/post-conversation-follow-up.json after the Wait.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eDir, type Execution, N8nApi, nodeOutput, repoRoot, waitFor } from './support/n8n';
import { RunningAgentServer, startAgentServer } from './support/agent-server';

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;
let workflowId: string;

const BRANCHES = ['Send Booking Confirmation', 'Ask If Still Interested', 'Add to Nurture', 'Flag for Personal Outreach'] as const;

/** The documented workflow with the test's credential, its 30 minute wait cut to one second. */
function followUpWorkflow(credentialId: string) {
	const text = readFileSync(path.join(repoRoot, 'docs', 'workflows', 'post-conversation-follow-up.json'), 'utf8');
	const workflow = JSON.parse(text.replaceAll('CREDENTIAL_ID', credentialId));
	const wait = workflow.nodes.find((n: { name: string }) => n.name === 'Wait 30 Minutes');
	expect(wait.parameters).toMatchObject({ resume: 'timeInterval', amount: 30, unit: 'minutes' });
	wait.parameters = { ...wait.parameters, amount: 1, unit: 'seconds' };
	return workflow;
}

beforeAll(async () => {
	server = await startAgentServer();
	const credential = await n8n.createCredential('Agent Bridge API', 'agentBridgeApi', { serverUrl: server.url, apiKey: server.apiKey });
	workflowId = (await n8n.importWorkflow(followUpWorkflow(credential.id))).id;
	await n8n.activate(workflowId);
	// n8n 2.x finishes activation in the background: act only once the trigger has subscribed.
	await waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === 1, 30_000, 'the trigger to subscribe');
}, 120_000);

afterAll(async () => {
	if (workflowId) await n8n.deactivate(workflowId).catch(() => undefined);
	await server?.stop();
});

async function chat(text: string, conversationId?: string) {
	const res = await server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text, ...(conversationId ? { conversationId } : {}) });
	expect(res.status).toBe(200);
	return res.body as { conversation: { id: string }; contact: { id: string } };
}

async function endedConversation(lines: string[], outcome?: string) {
	const first = await chat(lines[0]);
	for (const line of lines.slice(1)) await chat(line, first.conversation.id);
	const end = await server.api('POST', `/v1/conversations/${first.conversation.id}/end`, outcome ? { outcome } : {});
	expect(end.status).toBe(200);
	return { conversationId: first.conversation.id, contactId: first.contact.id, ending: end.body.ending };
}

const triggerOf = (e: Execution) => nodeOutput(e, 'Conversation Ended')[0]?.[0];

test('booked, interested, browsing and negative endings each take their own branch, once', async () => {
	// Booked and negative are given by whoever closes the conversation; interested and browsing are classed by the agent.
	const booked = await endedConversation(["Hi, I'm Bea and I need a new website", 'Can we book a call?'], 'booked');
	const interested = await endedConversation(["Hi, I'm Ivan. How much does an app cost?"]);
	const browsing = await endedConversation(['Hello there']);
	const negative = await endedConversation(["Hi, I'm Nora. This is useless, you are not helping"], 'negative');
	expect([booked, interested, browsing, negative].map((c) => c.ending.outcome)).toEqual(['booked', 'interested', 'browsing', 'negative']);
	const cases = [booked, interested, browsing, negative];

	const runs = new Map<string, Execution>();
	await waitFor(
		async () => {
			for (const e of await n8n.executions(workflowId)) {
				const id = triggerOf(e)?.conversationId;
				if (id && e.finished) runs.set(id, e);
			}
			return cases.every((c) => runs.has(c.conversationId));
		},
		45_000,
		'four finished executions',
	);

	cases.forEach((c, branch) => {
		const run = runs.get(c.conversationId)!;
		expect(run.status).toBe('success');
		expect(triggerOf(run)).toMatchObject({ outcome: c.ending.outcome, endReason: 'closed', contactId: c.contactId });
		// The event brings the context a follow-up needs: summary and transcript.
		expect(typeof triggerOf(run).summary).toBe('string');
		expect(triggerOf(run).transcript[0]).toMatchObject({ role: 'contact' });
		const routed = nodeOutput(run, 'Route by Outcome').map((items) => items.length);
		expect(routed).toEqual([0, 1, 2, 3].map((i) => (i === branch ? 1 : 0)));
		BRANCHES.forEach((name, i) => expect(nodeOutput(run, name).length > 0).toBe(i === branch));
	});
	expect(nodeOutput(runs.get(negative.conversationId)!, 'Notify Team (replace with Slack or email)')[0]).toHaveLength(1);

	// Booked: the confirmation lands in the ended conversation, merge fields filled in by the server.
	const bookedDetail = (await server.api('GET', `/v1/conversations/${booked.conversationId}`)).body;
	expect(bookedDetail.messages.at(-1)).toMatchObject({
		role: 'agent',
		source: 'workflow',
		text: 'Thanks again, Bea! Your call with our specialist is booked. If anything changes, reschedule here: https://example.com/book',
	});

	// Interested: a new conversation that the contact can answer, with the agent's booking link.
	const started = nodeOutput(runs.get(interested.conversationId)!, 'Ask If Still Interested')[0][0];
	expect(started.conversationId).not.toBe(interested.conversationId);
	const followUp = (await server.api('GET', `/v1/conversations/${started.conversationId}`)).body;
	expect(followUp).toMatchObject({ contactId: interested.contactId, status: 'active' });
	expect(followUp.messages).toEqual([
		expect.objectContaining({
			role: 'agent',
			source: 'workflow',
			text: 'Hi Ivan, are you still interested? You can book a free call at a time that suits you: https://example.com/book',
		}),
	]);
	const answer = await chat('Yes, still interested', started.conversationId);
	expect(answer.contact.id).toBe(interested.contactId);

	// Browsing and negative: tags only on their own contact.
	const tags = async (contactId: string) => (await server.api('GET', `/v1/contacts/${contactId}`)).body.tags as string[];
	expect(await tags(browsing.contactId)).toContain('nurture');
	expect(await tags(negative.contactId)).toContain('needs_personal_outreach');
	for (const c of [booked, interested, negative]) expect(await tags(c.contactId)).not.toContain('nurture');
	for (const c of [booked, interested, browsing]) expect(await tags(c.contactId)).not.toContain('needs_personal_outreach');

	// Give n8n time to run a duplicate, if there were one: one execution per ended conversation.
	await new Promise((r) => setTimeout(r, 2000));
	const all = (await n8n.executions(workflowId)).map((e) => triggerOf(e)?.conversationId);
	for (const c of cases) expect(all.filter((id) => id === c.conversationId)).toHaveLength(1);
}, 90_000);
