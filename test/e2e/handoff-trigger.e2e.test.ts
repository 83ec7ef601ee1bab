// The handoff as an n8n trigger against a real n8n: a contact asks for a person, the Conversation Ended Trigger set to
// "Handed Off to a Person" runs once with the reason and the console link, and writes them back to the contact (where
// a team's workflow would post them to Slack or send an SMS).
import { waitFor } from './support/n8n';
import { useScenario } from './support/scenario';

const s = useScenario({ workflows: ['handoff-alert.json'] });

test('a contact asking for a person starts the handoff workflow once, with the reason and the console link', async () => {
	const first = await s.chat('lead-qualifier', 'Can I talk to a real person please?');
	expect(first.conversation.status).toBe('human');
	let contact: any;
	await waitFor(
		async () => {
			contact = await s.contact(first.contact.id);
			return contact.customFields.handoff_link !== undefined;
		},
		60_000,
		'the handoff workflow to write back',
	);
	expect(contact.customFields.handoff_link).toBe(`/console?conversation=${first.conversation.id}`);
	expect(contact.customFields.handoff_reason).toMatch(/wants_human/);
	await new Promise((r) => setTimeout(r, 3000));
	const executions = await s.n8n.executions(s.workflowIds[0]);
	expect(executions.filter((e: any) => e.status === 'success')).toHaveLength(1);
}, 120_000);
