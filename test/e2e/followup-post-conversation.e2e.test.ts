// The seed's post-conversation follow-up against a real n8n: four conversations end with the four outcomes and each
// takes its own branch of docs/workflows/post-conversation-follow-up.json after the Wait.
import { type Execution, nodeOutput, waitFor } from './support/n8n';
import { shortenWait, useScenario } from './support/scenario';

const BRANCHES = ['Send Booking Confirmation', 'Ask If Still Interested', 'Add to Nurture', 'Flag for Personal Outreach'] as const;

// The documented workflow, its 30 minute wait cut to one second.
const s = useScenario({
	workflows: ['post-conversation-follow-up.json'],
	edit: (workflow) => shortenWait(workflow, 'Wait 30 Minutes', { amount: 30, unit: 'minutes' }),
});
const chat = (text: string, conversationId?: string) => s.chat('lead-qualifier', text, conversationId);

async function endedConversation(lines: string[], outcome?: string) {
	const first = await chat(lines[0]);
	for (const line of lines.slice(1)) await chat(line, first.conversation.id);
	const ending = await s.end(first.conversation.id, outcome);
	return { conversationId: first.conversation.id, contactId: first.contact.id, ending };
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
			for (const e of await s.n8n.executions(s.workflowIds[0])) {
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
	const bookedDetail = await s.conversation(booked.conversationId);
	expect(bookedDetail.messages.at(-1)).toMatchObject({
		role: 'agent',
		source: 'workflow',
		text: 'Thanks again, Bea! Your call with our specialist is booked. If anything changes, reschedule here: https://example.com/book',
	});

	// Interested: a new conversation that the contact can answer, with the agent's booking link.
	const started = nodeOutput(runs.get(interested.conversationId)!, 'Ask If Still Interested')[0][0];
	expect(started.conversationId).not.toBe(interested.conversationId);
	const followUp = await s.conversation(started.conversationId);
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
	const tags = async (contactId: string) => (await s.contact(contactId)).tags as string[];
	expect(await tags(browsing.contactId)).toContain('nurture');
	expect(await tags(negative.contactId)).toContain('needs_personal_outreach');
	for (const c of [booked, interested, negative]) expect(await tags(c.contactId)).not.toContain('nurture');
	for (const c of [booked, interested, browsing]) expect(await tags(c.contactId)).not.toContain('needs_personal_outreach');

	// Give n8n time to run a duplicate, if there were one: one execution per ended conversation.
	await new Promise((r) => setTimeout(r, 2000));
	const all = (await s.n8n.executions(s.workflowIds[0])).map((e) => triggerOf(e)?.conversationId);
	for (const c of cases) expect(all.filter((id) => id === c.conversationId)).toHaveLength(1);
}, 90_000);
