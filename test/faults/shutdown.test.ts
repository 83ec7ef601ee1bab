// The agent server stopped as a container runtime stops it (SIGTERM, then SIGKILL after 10 s): a turn waiting for a
// workflow answers its holding reply, the process exits 0 within the drain, and the late result is sent by the
// instance that is up when the workflow writes it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../agent-server/src/testing/harness';
import { startServerProcess, type ServerProcess } from './support/server-process';

jest.setTimeout(90_000);

const HOLDING_REPLY = "Thanks! I'm pulling up your account — one moment.";
const DRAIN_MS = 4_000;

describe('agent server stopped with SIGTERM', () => {
	let dir: string;
	const running: ServerProcess[] = [];
	const apiKey = `ab_shutdown_${Date.now()}`;

	beforeEach(() => {
		dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-shutdown-'));
	});
	afterEach(async () => {
		for (const s of running.splice(0)) await s.kill('SIGKILL');
		rmSync(dir, { recursive: true, force: true });
	});

	async function start(env: Record<string, string> = {}) {
		const s = await startServerProcess(dir, apiKey, { SHUTDOWN_DRAIN_MS: String(DRAIN_MS), ...env });
		running.push(s);
		return s;
	}

	it('during a turn waiting for a workflow: the contact gets the holding reply, the server exits 0 within the drain, the next instance sends the late result', async () => {
		// A misspelt setting is named with the one it most likely meant, and ignored.
		const first = await start({ MODEL_NAME: 'gpt-4o' });
		expect(await first.waitForLog('MODEL_NAME')).toContain('did you mean OPENAI_MODEL?');

		const hello = await first.api('POST', '/v1/chat', { agentId: 'account-assistant', text: "Hi, I'm robin@example.com" });
		expect(hello.status).toBe(200);
		const conversationId: string = hello.body.conversation.id;
		const contactId: string = hello.body.contact.id;
		// The account lookup fires and the turn waits (up to 15 s) for the workflow's account_status.
		const waiting = first.api('POST', '/v1/chat', { agentId: 'account-assistant', conversationId, text: 'Order NB-20417' });
		await waitUntil(
			async () => (await first.api('GET', `/v1/conversations/${conversationId}`)).body.timeline.some((e: { kind: string }) => e.kind === 'action.fired'),
			20_000,
			'the account lookup to fire',
		);

		const stopped = Date.now();
		const exit = first.kill('SIGTERM');
		const answer = await waiting;
		const { code } = await exit;
		const tookMs = Date.now() - stopped;
		running.splice(running.indexOf(first), 1);

		expect(answer.status).toBe(200);
		expect(answer.body.reply.text).toBe(HOLDING_REPLY);
		// Not the timeout's fallback: the action did not time out, so no handoff.
		expect(answer.body.conversation.status).toBe('active');
		expect(code).toBe(0);
		expect(tookMs).toBeLessThan(DRAIN_MS);

		// The workflow's write reaches the instance that is up: it sends the late result.
		const second = await start();
		const written = await second.api('PATCH', `/v1/contacts/${contactId}`, { customFields: { account_status: 'verified', plan: 'Pro', renewal_date: '2027-03-01', balance: '$0.00' } });
		expect(written.status).toBe(200);
		await waitUntil(
			async () => (await second.api('GET', `/v1/conversations/${conversationId}`)).body.timeline.some((e: { kind: string }) => e.kind === 'wait.late_result'),
			20_000,
			'the late result',
		);
		const conversation = (await second.api('GET', `/v1/conversations/${conversationId}`)).body;
		expect(conversation.messages.at(-1)).toMatchObject({ role: 'agent', text: expect.stringContaining('Pro plan') });
		expect(conversation.timeline.find((e: { kind: string }) => e.kind === 'wait.timed_out').detail).toMatchObject({ endedBy: 'shutdown' });
	});

	it('with nothing running, exits 0 at once', async () => {
		const server = await start();
		const stopped = Date.now();
		expect(await server.kill('SIGTERM')).toEqual({ code: 0, signal: null });
		running.splice(running.indexOf(server), 1);
		expect(Date.now() - stopped).toBeLessThan(DRAIN_MS);
	});
});
