// `npm run playground` as a new user runs it: it brings up n8n and the agent server, prints both addresses, the
// lead scoring workflow runs when a lead gives budget and timeline, and Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { cleanEnv, repoRoot, waitFor } from './support/n8n';

test('npm run playground brings both addresses up, the lead scoring workflow runs, and Ctrl-C stops both', async () => {
	const env = Object.fromEntries(Object.entries(cleanEnv()).filter(([k]) => !/^(npm_|E2E_DIR$)/i.test(k)));
	const playground = spawn('npm', ['run', 'playground'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	playground.stdout.on('data', (c: Buffer) => (output += c));
	playground.stderr.on('data', (c: Buffer) => (output += c));
	const exited = new Promise<number | null>((resolve) => playground.once('exit', (code) => resolve(code)));
	try {
		await waitFor(async () => output.includes('Agent Bridge playground is ready'), 900_000, 'the playground');
		// Progress was shown on the way.
		expect(output).toMatch(/» installing n8n[\s\S]*» starting the agent server[\s\S]*» importing and activating/);
		const n8nUrl = /n8n\s+(http:\/\/\S+)/.exec(output)![1];
		const serverUrl = /agent server\s+(http:\/\/\S+)/.exec(output)![1];
		const key = /API key: (\S+?)\)/.exec(output)![1];
		expect((await fetch(`${n8nUrl}/healthz`)).status).toBe(200);
		expect((await fetch(`${serverUrl}/readyz`)).status).toBe(200);

		const chat = async (text: string, conversationId?: string) => {
			const res = await fetch(`${serverUrl}/v1/chat`, {
				method: 'POST',
				headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
				body: JSON.stringify({ agentId: 'lead-qualifier', text, ...(conversationId ? { conversationId } : {}) }),
			});
			expect(res.status).toBe(200);
			return (await res.json()) as { conversation: { id: string }; contact: { id: string } };
		};
		const first = await chat("Hi, I'm Dana and I need a new website for my bakery");
		await chat("Our budget is $25,000 and we'd like to launch within 1 month", first.conversation.id);
		let contact: { tags: string[]; customFields: Record<string, unknown> } | undefined;
		await waitFor(
			async () => {
				const res = await fetch(`${serverUrl}/v1/contacts/${first.contact.id}`, { headers: { authorization: `Bearer ${key}` } });
				contact = (await res.json()) as typeof contact;
				return contact!.tags.includes('hot_lead');
			},
			60_000,
			'the Lead Scoring workflow to tag the lead',
		);
		expect(Number(contact!.customFields.lead_score)).toBeGreaterThanOrEqual(7);

		playground.kill('SIGINT');
		expect(await exited).toBe(0);
		await waitFor(async () => !(await fetch(`${n8nUrl}/healthz`).then(() => true, () => false)), 60_000, 'n8n to stop');
		expect(await fetch(`${serverUrl}/healthz`).then(() => 'answered', () => 'closed')).toBe('closed');
	} finally {
		if (playground.exitCode === null) playground.kill('SIGINT');
	}
}, 1_200_000);
