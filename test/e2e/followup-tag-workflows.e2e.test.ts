// The seed's six tags against a real n8n (docs/workflows/tag-workflows.json): one conversation raises each tag, some
// of them twice, and each branch of the Tag Added workflow runs exactly once.
import { type Execution, nodeOutput, waitFor } from './support/n8n';
import { useScenario } from './support/scenario';

// Tag, in the Switch's output order, and the first node of its branch.
const BRANCHES: Array<[string, string]> = [
	['interested_pricing', 'Start Pricing Sequence'],
	['competitor_aware', 'Send Comparison'],
	['urgent_need', 'Mark Priority'],
	['wants_human', 'Flag Team Alert'],
	['happy_customer', 'Request Review'],
	['referral_lead', 'Track Referral'],
];
const COMPARISON = 'Comparing agencies? Here is how we stack up, side by side: https://example.com/compare';
const REVIEW = 'Thank you so much for the kind words! Would you mind leaving us a quick review? https://example.com/review';

const s = useScenario({ workflows: ['tag-workflows.json'] });
const chat = (text: string, conversationId?: string) => s.chat('lead-qualifier', text, conversationId);
const workflowTexts = (c: any) => c.messages.filter((m: any) => m.source === 'workflow').map((m: any) => m.text);

test('a conversation that raises all six tags runs each branch exactly once', async () => {
	const first = await chat("Hi, I'm Sam. How much does a new website cost?");
	const id = first.conversation.id;
	const contactId = first.contact.id;
	await chat('Another agency quoted me already; what is your price?', id); // competitor_aware; pricing again
	await chat('We need it urgently, the old site is down', id);
	await chat('I was referred by Alex, a friend told me about you', id); // two referral keywords, one tag
	await chat('You have been amazing so far, great job', id);
	// Both workflow replies must land before the handoff: they stay quiet while a human handles the chat.
	await waitFor(async () => workflowTexts(await s.conversation(id)).length === 2, 30_000, 'the comparison and review replies');
	await chat('Can I talk to a real person?', id);

	let contact: any;
	await waitFor(
		async () => {
			contact = await s.contact(contactId);
			return contact.tags.includes('team_alerted') && contact.customFields.lead_source === 'referral';
		},
		30_000,
		'every branch to write back',
	);
	expect(contact.tags).toEqual(expect.arrayContaining(BRANCHES.map(([tag]) => tag)));
	expect(contact.customFields).toMatchObject({ pricing_sequence: 'started', priority: 'high', lead_source: 'referral' });

	// Give n8n time to run a duplicate, if there were one.
	await new Promise((r) => setTimeout(r, 2000));
	const runs: Execution[] = await s.n8n.executions(s.workflowIds[0]);
	expect(runs).toHaveLength(6);
	for (const run of runs) expect(run.status).toBe('success');
	const tagOf = (run: Execution) => nodeOutput(run, 'Tag Added')[0][0].tag as string;
	expect(runs.map(tagOf).sort()).toEqual(BRANCHES.map(([tag]) => tag).sort());
	for (const run of runs) {
		const tag = tagOf(run);
		expect(nodeOutput(run, 'Tag Added')[0][0]).toMatchObject({ addedBy: 'agent', contactId, conversationId: id });
		const routed = nodeOutput(run, 'Route by Tag').map((items) => items.length);
		expect(routed).toEqual(BRANCHES.map(([t]) => (t === tag ? 1 : 0)));
		for (const [t, node] of BRANCHES) expect(nodeOutput(run, node).length > 0).toBe(t === tag);
	}

	const detail = await s.conversation(id);
	expect(workflowTexts(detail).sort()).toEqual([COMPARISON, REVIEW].sort());
	expect(detail.status).toBe('human');
	// The timeline shows each of the agent's tags once (with why), and the tag the workflow added as the workflow's.
	const added = detail.timeline.filter((e: any) => e.kind === 'tag.added');
	const byAgent = added.filter((e: any) => e.detail.addedBy === 'agent');
	expect(byAgent.map((e: any) => e.detail.tag).sort()).toEqual(BRANCHES.map(([tag]) => tag).sort());
	for (const e of byAgent) expect(e.detail.eventId).toEqual(expect.any(String));
	expect(added.filter((e: any) => e.detail.addedBy === 'workflow').map((e: any) => e.detail.tag)).toEqual(['team_alerted']);
}, 60_000);
