// Conversation Ended and Tag Added triggers against a real n8n: one conversation adds the interested_pricing tag and
// is then ended; each workflow runs exactly once and writes what it received back to the contact.
import { waitFor } from './support/n8n';
import { useScenario } from './support/scenario';

const s = useScenario({ workflows: ['conversation-ended.json', 'tag-added.json'] });

test('one conversation: Tag Added and Conversation Ended each run exactly once', async () => {
	const chat = (text: string, conversationId?: string) => s.chat('lead-qualifier', text, conversationId);
	const first = await chat("Hi, I'm Dana. What's the price of a new website?");
	const conversationId = first.conversation.id;
	const contactId = first.contact.id;
	await chat('And the pricing for an app, roughly?', conversationId);
	expect(await s.end(conversationId)).toMatchObject({ reason: 'closed', outcome: 'interested' });

	let contact: any;
	await waitFor(
		async () => {
			contact = await s.contact(contactId);
			return contact.customFields.last_outcome !== undefined && contact.customFields.pricing_followup !== undefined;
		},
		60_000,
		'both workflows to write back',
	);
	expect(contact.customFields).toMatchObject({ last_outcome: 'interested', pricing_followup: 'interested_pricing' });

	// Give n8n time to run a duplicate, if there were one.
	await new Promise((r) => setTimeout(r, 3000));
	for (const id of s.workflowIds) {
		const executions = await s.n8n.executions(id);
		expect(executions.filter((e: any) => e.status === 'success')).toHaveLength(1);
	}
}, 120_000);
