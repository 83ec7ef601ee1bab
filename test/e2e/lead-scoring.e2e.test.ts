// The seed's lead qualification chain, end to end: a contact chats with the lead-qualifier agent, the AI Agent
// Trigger starts the Lead Scoring workflow in a real n8n, Score Lead and Contact write the score and a tag, and the
// agent's next reply reads the score.
import { nodeOutput, waitFor } from './support/n8n';
import { useScenario } from './support/scenario';

const HOT_REPLY = 'Great news! Let me connect you with a specialist. When works best for a quick call?';
const NURTURE_REPLY = "Thanks for your interest! I'll send you some resources that might help.";

const s = useScenario({ workflows: ['lead-scoring.json', 'appointment-booked.json'] });
const { n8n } = s;
const chat = (text: string, conversationId?: string) => s.chat('lead-qualifier', text, conversationId);
const executionFor = (contactId: string) => s.executionFor(s.workflowIds[0], 'Score Lead', { contactId });
const leadScoringSubscription = async () => (await s.subscriptions()).find((sub) => sub.filters.actionId === 'lead_scoring');

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
			contact = await s.contact(contactId);
			return contact.tags.some((t: string) => t.endsWith('_lead'));
		},
		30_000,
		'the workflow to tag the lead',
	);
	return { conversationId, contactId, contact, scoredReply: second.reply!.text };
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
			conversation = await s.conversation(conversationId);
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
	expect((await s.contact(contactId)).tags).toContain('appointment_booked');
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
	const subscription = await leadScoringSubscription();
	let before = 0;
	await waitFor(
		async () => {
			const executions = await n8n.executions(s.workflowIds[0]);
			before = executions.length;
			return executions.every((e) => e.finished);
		},
		30_000,
		'earlier runs to finish',
	);
	const body = JSON.stringify({ id: 'evt_forged', type: 'agent.action.triggered', contact: { id: 'ct_x' } });
	const now = Math.floor(Date.now() / 1000);
	const forged: Array<Record<string, string>> = [
		{ 'webhook-id': 'msg_forged1', 'webhook-timestamp': String(now), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
		{ 'webhook-id': 'msg_forged2', 'webhook-timestamp': String(now - 3600), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
		{ 'webhook-id': 'msg_forged3' },
	];
	for (const headers of forged) {
		const res = await fetch(subscription.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
		expect(res.status).toBe(401);
	}
	await new Promise((r) => setTimeout(r, 1000));
	expect(await n8n.executions(s.workflowIds[0])).toHaveLength(before);
}, 60_000);

test('re-activation subscribes again after the server lost the subscription', async () => {
	const lost = await leadScoringSubscription();
	expect((await s.server.api('DELETE', `/v1/subscriptions/${lost.id}`)).status).toBe(204);
	await n8n.deactivate(s.workflowIds[0]); // the node's delete tolerates the missing subscription
	await n8n.activate(s.workflowIds[0]);
	await s.waitForSubscriptions(2, 'the new subscription');
	const fresh = await leadScoringSubscription();
	expect(fresh.id).not.toBe(lost.id);

	const { contact } = await runChain("Our budget is $40,000 and we'd like to launch within 2 weeks");
	expect(contact.tags).toContain('hot_lead');
}, 120_000);

test('deactivating the workflows removes their subscriptions from the agent server', async () => {
	const before = await s.subscriptions();
	expect(before).toHaveLength(2);
	for (const sub of before) expect(sub.url).toContain('/webhook/');
	for (const id of s.workflowIds) await n8n.deactivate(id);
	await s.waitForSubscriptions(0, 'unsubscribe', 15_000);
}, 60_000);
