// Re-engagement against a real n8n (docs/workflows/re-engagement.json): after the wait, a contact who chatted and has
// not converted gets a new conversation; a converted one gets nothing, and the follow-up's own ending starts no second one.
import { type Execution, nodeOutput } from './support/n8n';
import { shortenWait, useScenario } from './support/scenario';

const MESSAGE =
	"Hi Una, just checking in: are you still thinking about your project? I'm happy to answer any questions, or you can book a free call here: https://example.com/book";

// The documented workflow, its 48 hour wait cut to one second.
const s = useScenario({
	workflows: ['re-engagement.json'],
	edit: (workflow) => shortenWait(workflow, 'Wait 48 Hours', { amount: 48, unit: 'hours' }),
});
const chat = (text: string, conversationId?: string) => s.chat('lead-qualifier', text, conversationId);

const finishedRun = (conversationId: string) => s.executionFor(s.workflowIds[0], 'Conversation Ended', { conversationId });

const startedBy = (run: Execution) => nodeOutput(run, 'Start Re-engagement')[0]?.[0];
const skippedBy = (run: Execution) => nodeOutput(run, 'Converted or Already Followed Up')[0]?.length ?? 0;

test('an unconverted contact gets one re-engagement conversation; converted contacts get nothing', async () => {
	// Unconverted: asked about prices, never booked.
	const una = await chat("Hi, I'm Una. How much does a website cost?");
	expect((await s.end(una.conversation.id)).outcome).toBe('interested');
	// Converted in the conversation itself.
	const bo = await chat("Hi, I'm Bo and I need an app");
	await s.end(bo.conversation.id, 'booked');
	// Converted elsewhere (the Appointment Booked workflow tags appointment_booked), the chat itself merely interested.
	const cy = await chat("Hi, I'm Cy. What's the price of SEO?");
	expect((await s.server.api('POST', `/v1/contacts/${cy.contact.id}/tags`, { tags: ['appointment_booked'] })).status).toBe(200);
	expect((await s.end(cy.conversation.id)).outcome).toBe('interested');

	const unaRun = await finishedRun(una.conversation.id);
	expect(unaRun.status).toBe('success');
	const started = startedBy(unaRun);
	expect(started).toMatchObject({ contactId: una.contact.id, agentId: 'lead-qualifier' });
	const followUp = await s.conversation(started.conversationId);
	expect(followUp).toMatchObject({ contactId: una.contact.id, status: 'active' });
	expect(followUp.messages).toEqual([expect.objectContaining({ role: 'agent', source: 'workflow', text: MESSAGE })]);
	expect((await s.contact(una.contact.id)).tags).toContain('re_engaged');

	for (const converted of [bo, cy]) {
		const run = await finishedRun(converted.conversation.id);
		expect(run.status).toBe('success');
		expect(startedBy(run)).toBeUndefined();
		expect(skippedBy(run)).toBe(1);
		expect((await s.contact(converted.contact.id)).tags).not.toContain('re_engaged');
	}

	// The re-engagement conversation ends unanswered: the contact did not chat in it and is already re_engaged, so the
	// workflow does not follow up on its own follow-up.
	await s.end(started.conversationId);
	const again = await finishedRun(started.conversationId);
	expect(startedBy(again)).toBeUndefined();
	expect(skippedBy(again)).toBe(1);

	await new Promise((r) => setTimeout(r, 2000));
	const runs = await s.n8n.executions(s.workflowIds[0]);
	expect(runs).toHaveLength(4);
	expect(runs.filter((e) => startedBy(e))).toHaveLength(1);
}, 60_000);
