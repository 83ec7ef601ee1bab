// Re-engagement against a real n8n (docs/workflows/re-engagement.json): after the wait, a contact who chatted and has
// not converted gets a new conversation; a converted one gets nothing, and the follow-up's own ending starts no second one.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eDir, type Execution, N8nApi, nodeOutput, repoRoot, waitFor } from './support/n8n';
import { RunningAgentServer, startAgentServer } from './support/agent-server';

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;
let workflowId: string;

const MESSAGE =
	"Hi Una, just checking in: are you still thinking about your project? I'm happy to answer any questions, or you can book a free call here: https://example.com/book";

/** The documented workflow with the test's credential, its 48 hour wait cut to one second. */
function reEngagementWorkflow(credentialId: string) {
	const text = readFileSync(path.join(repoRoot, 'docs', 'workflows', 're-engagement.json'), 'utf8');
	const workflow = JSON.parse(text.replaceAll('CREDENTIAL_ID', credentialId));
	const wait = workflow.nodes.find((n: { name: string }) => n.name === 'Wait 48 Hours');
	expect(wait.parameters).toMatchObject({ resume: 'timeInterval', amount: 48, unit: 'hours' });
	wait.parameters = { ...wait.parameters, amount: 1, unit: 'seconds' };
	return workflow;
}

beforeAll(async () => {
	server = await startAgentServer();
	const credential = await n8n.createCredential('Agent Bridge API', 'agentBridgeApi', { serverUrl: server.url, apiKey: server.apiKey });
	workflowId = (await n8n.importWorkflow(reEngagementWorkflow(credential.id))).id;
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

async function end(conversationId: string, outcome?: string) {
	const res = await server.api('POST', `/v1/conversations/${conversationId}/end`, outcome ? { outcome } : {});
	expect(res.status).toBe(200);
	return res.body.ending as { outcome: string };
}

const triggerOf = (e: Execution) => nodeOutput(e, 'Conversation Ended')[0]?.[0];

async function finishedRun(conversationId: string): Promise<Execution> {
	let run: Execution | undefined;
	await waitFor(
		async () => {
			run = (await n8n.executions(workflowId)).find((e) => triggerOf(e)?.conversationId === conversationId && e.finished);
			return Boolean(run);
		},
		30_000,
		`the execution for ${conversationId}`,
	);
	return run!;
}

const startedBy = (run: Execution) => nodeOutput(run, 'Start Re-engagement')[0]?.[0];
const skippedBy = (run: Execution) => nodeOutput(run, 'Converted or Already Followed Up')[0]?.length ?? 0;
const contact = async (id: string) => (await server.api('GET', `/v1/contacts/${id}`)).body;

test('an unconverted contact gets one re-engagement conversation; converted contacts get nothing', async () => {
	// Unconverted: asked about prices, never booked.
	const una = await chat("Hi, I'm Una. How much does a website cost?");
	expect((await end(una.conversation.id)).outcome).toBe('interested');
	// Converted in the conversation itself.
	const bo = await chat("Hi, I'm Bo and I need an app");
	await end(bo.conversation.id, 'booked');
	// Converted elsewhere (the Appointment Booked workflow tags appointment_booked), the chat itself merely interested.
	const cy = await chat("Hi, I'm Cy. What's the price of SEO?");
	expect((await server.api('POST', `/v1/contacts/${cy.contact.id}/tags`, { tags: ['appointment_booked'] })).status).toBe(200);
	expect((await end(cy.conversation.id)).outcome).toBe('interested');

	const unaRun = await finishedRun(una.conversation.id);
	expect(unaRun.status).toBe('success');
	const started = startedBy(unaRun);
	expect(started).toMatchObject({ contactId: una.contact.id, agentId: 'lead-qualifier' });
	const followUp = (await server.api('GET', `/v1/conversations/${started.conversationId}`)).body;
	expect(followUp).toMatchObject({ contactId: una.contact.id, status: 'active' });
	expect(followUp.messages).toEqual([expect.objectContaining({ role: 'agent', source: 'workflow', text: MESSAGE })]);
	expect((await contact(una.contact.id)).tags).toContain('re_engaged');

	for (const converted of [bo, cy]) {
		const run = await finishedRun(converted.conversation.id);
		expect(run.status).toBe('success');
		expect(startedBy(run)).toBeUndefined();
		expect(skippedBy(run)).toBe(1);
		expect((await contact(converted.contact.id)).tags).not.toContain('re_engaged');
	}

	// The re-engagement conversation ends unanswered: the contact did not chat in it and is already re_engaged, so the
	// workflow does not follow up on its own follow-up.
	await end(started.conversationId);
	const again = await finishedRun(started.conversationId);
	expect(startedBy(again)).toBeUndefined();
	expect(skippedBy(again)).toBe(1);

	await new Promise((r) => setTimeout(r, 2000));
	const runs = await n8n.executions(workflowId);
	expect(runs).toHaveLength(4);
	expect(runs.filter((e) => startedBy(e))).toHaveLength(1);
}, 60_000);
